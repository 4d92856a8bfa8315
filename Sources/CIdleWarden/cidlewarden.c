#include "cidlewarden.h"

#include <utmpx.h>

static void copy_field(char *target, size_t capacity, const char *source, size_t length) {
    size_t count = strnlen(source, length);
    if (count >= capacity) count = capacity - 1;
    memcpy(target, source, count);
    target[count] = 0;
}

int iw_utmp_open(const char *file) {
    if (utmpxname(file) != 0) return -1;
    setutxent();
    return 0;
}

int iw_utmp_next(struct iw_login *out) {
    struct utmpx *entry;
    while ((entry = getutxent()) != NULL) {
        if (entry->ut_type != USER_PROCESS || entry->ut_pid <= 0) continue;
        out->pid = entry->ut_pid;
        copy_field(out->user, sizeof(out->user), entry->ut_user, sizeof(entry->ut_user));
        copy_field(out->line, sizeof(out->line), entry->ut_line, sizeof(entry->ut_line));
        copy_field(out->host, sizeof(out->host), entry->ut_host, sizeof(entry->ut_host));
        return 1;
    }
    return 0;
}

void iw_utmp_close(void) { endutxent(); }
