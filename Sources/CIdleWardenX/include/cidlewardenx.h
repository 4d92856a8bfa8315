#ifndef IDLEWARDEN_CIDLEWARDENX_H
#define IDLEWARDEN_CIDLEWARDENX_H

/* Graphical-session support for the daemon, kept out of the PAM module and away from link-time X libraries:
   libX11/libXss are loaded with dlopen only by the short-lived `idlewarden x-idle` helper process, so a server
   without X never loads them and an X server that hangs or drops the connection can never stall or end the
   daemon (Xlib calls exit() from its IO error handler). */

#include <stddef.h>


/* Opens `display` (XAUTHORITY must already be in the environment), asks MIT-SCREEN-SAVER for the server's idle
   time and stores it in *idle_ms. Returns 0 on success, else a negative code with a reason in err:
   -1 libraries missing, -2 cannot open display, -3 no MIT-SCREEN-SAVER extension, -4 query failed. */
int iw_x_idle_ms(const char *display, unsigned long *idle_ms, char *err, size_t errlen);

/* Runs argv[0] (a path) with envp, stdout to a pipe, stdin/stderr to /dev/null, and reads what it prints into
   out (NUL-terminated) until it exits or timeout_ms pass; then it is SIGKILLed and reaped. Returns the exit
   status (0-255), 256 + signal when it was killed by a signal, -2 on timeout, -1 when it could not start. */
int iw_spawn_capture(char *const argv[], char *const envp[], int timeout_ms, char *out, size_t outlen);

/* Starts argv[0] (a path) with envp in a new session (its own process group), stdio on /dev/null, without
   waiting for it. Returns its pid or -1. Reap it with iw_reap. */
int iw_spawn_detached(char *const argv[], char *const envp[]);

/* Reaps `pid` if it has exited (non-blocking): 1 reaped or gone, 0 still running. */
int iw_reap(int pid);

#endif
