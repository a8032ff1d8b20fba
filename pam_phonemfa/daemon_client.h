/* The client side of the phonemfad socket, shared by the PAM module and
 * phonemfa-setup: libc only. */
#ifndef PHONEMFA_DAEMON_CLIENT_H
#define PHONEMFA_DAEMON_CLIENT_H

#include <stddef.h>

#define PHONEMFAD_SOCKET "/run/phonemfa/phonemfad.sock"
/* phonemfad is local: if it does not take the connection at once it is
 * not coming. */
#define DAEMON_CONNECT_TIMEOUT_MS 2000

/* Connect to the daemon at path: the socket must be root's, and so must the
 * process behind it (a user who got to the path first is not phonemfad).
 * The fd (non-blocking, close-on-exec, never 0-2), or -1 with why. */
int daemon_client_connect(const char *path, char *why, size_t why_size);

#endif
