#include "daemon_client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

int daemon_client_connect(const char *path, char *why, size_t why_size)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    struct stat status;
    char reason[64];

    if (strlen(path) >= sizeof address.sun_path) {
        (void)snprintf(why, why_size, "the socket path is too long");
        return -1;
    }
    memcpy(address.sun_path, path, strlen(path) + 1);
    if (lstat(path, &status) != 0) {
        int error = errno;
        (void)snprintf(why, why_size, "%s is %s", path,
                       error == ENOENT ? "missing (is phonemfad running?)"
                                       : strerror_r(error, reason, sizeof reason));
        return -1;
    }
    if (!S_ISSOCK(status.st_mode) || status.st_uid != 0) {
        (void)snprintf(why, why_size, "%s is not a socket of root's", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0 && fd <= STDERR_FILENO) {
        /* The application closed a standard descriptor: never let the
         * daemon's frames land on what it takes for its terminal. */
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        (void)close(fd);
        fd = moved;
    }
    if (fd < 0) {
        (void)snprintf(why, why_size, "no socket: %s", strerror_r(errno, reason, sizeof reason));
        return -1;
    }
    /* A full backlog (EAGAIN): the daemon is busy; try again until the bound. */
    long deadline = wire_deadline(DAEMON_CONNECT_TIMEOUT_MS);
    while (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int error = errno;
        if (error == EINTR)
            continue;
        if (error == EAGAIN && wire_now_ms() < deadline) {
            struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
            (void)nanosleep(&pause, NULL);
            continue;
        }
        (void)snprintf(why, why_size, "cannot connect to %s: %s", path,
                       error == EAGAIN ? "phonemfad did not take the connection in time"
                                       : strerror_r(error, reason, sizeof reason));
        (void)close(fd);
        return -1;
    }
    struct ucred peer;
    socklen_t length = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 || length != sizeof peer || peer.uid != 0) {
        (void)snprintf(why, why_size, "the process behind %s is not root's", path);
        (void)close(fd);
        return -1;
    }
    return fd;
}

