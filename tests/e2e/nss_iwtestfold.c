/*
 * A name service module for the end-to-end tests (tests/e2e/ending.sh): getpwnam with the case of the name
 * folded, as sssd (case_sensitive = false) and LDAP directories answer, so that a login as IWTEST-1-A finds the
 * account iwtest-1-a. It reads /etc/passwd and answers only for the names of test users (iwtest-...); nothing
 * else changes. Built by the test with its function named after the test (-DIW_NSS_GETPWNAM=_nss_NAME_getpwnam_r)
 * and loaded only by the processes the test runs in a mount namespace whose nsswitch.conf names it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

enum nss_status IW_NSS_GETPWNAM(const char *name, struct passwd *result, char *buffer, size_t length, int *errnop);

enum nss_status IW_NSS_GETPWNAM(const char *name, struct passwd *result, char *buffer, size_t length, int *errnop) {
    char folded[256];
    size_t count = strlen(name);
    if (count >= sizeof(folded)) return NSS_STATUS_NOTFOUND;
    for (size_t i = 0; i <= count; i++) folded[i] = (char)tolower((unsigned char)name[i]);
    if (strncmp(folded, "iwtest-", 7) != 0) return NSS_STATUS_NOTFOUND;
    FILE *file = fopen("/etc/passwd", "re");
    if (file == NULL) {
        *errnop = errno;
        return NSS_STATUS_UNAVAIL;
    }
    enum nss_status status = NSS_STATUS_NOTFOUND;
    struct passwd *entry = NULL;
    int rc;
    while ((rc = fgetpwent_r(file, result, buffer, length, &entry)) == 0) {
        if (strcmp(entry->pw_name, folded) == 0) {
            status = NSS_STATUS_SUCCESS;
            break;
        }
    }
    if (rc == ERANGE) {
        *errnop = ERANGE;
        status = NSS_STATUS_TRYAGAIN;
    }
    fclose(file);
    return status;
}
