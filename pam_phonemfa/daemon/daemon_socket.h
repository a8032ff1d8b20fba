/* phonemfad's listening socket, made by systemd (socket activation) or by
 * the daemon, and systemd's readiness notifications: both protocols spoken
 * directly (sd_listen_fds(3), sd_notify(3)), without libsystemd. */
#ifndef PHONEMFA_DAEMON_SOCKET_H
#define PHONEMFA_DAEMON_SOCKET_H

#include <stdbool.h>
#include <stddef.h>

#define DAEMON_ERROR_MAX 256

/* The socket systemd passed (LISTEN_PID/LISTEN_FDS), checked to be one
 * listening AF_UNIX stream socket: its fd; -1 with error when the passed
 * fds are not that; -2 when nothing was passed. */
int daemon_socket_from_systemd(char *error, size_t error_size);

/* Bind and listen on path (its directory is made 0755 if missing, a stale
 * socket left by a previous run replaced, anything else there refused);
 * the socket is mode 0666: who may ask what is decided per connection from
 * the peer's credentials. The fd, or -1 with error. */
int daemon_socket_bind(const char *path, char *error, size_t error_size);

/* One datagram to $NOTIFY_SOCKET ("READY=1", "RELOADING=1", ...); nothing
 * when the variable is unset. */
void daemon_notify(const char *notify_socket, const char *state);

#endif
