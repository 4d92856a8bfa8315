/* Out of line so that GNU strerror_r (which returns the text) is what this file gets, whatever an importer of
   cpam.h included before it. */
#define _GNU_SOURCE 1
#include "cpam.h"

const char *cpam_strerror(int error, char *buffer, size_t size) {
    const char *text = strerror_r(error, buffer, size);
    return text ? text : "unknown error";
}
