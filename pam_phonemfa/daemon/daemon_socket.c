#include "daemon_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SYSTEMD_FIRST_FD 3
#define LISTEN_BACKLOG 256

static int fail(char *error, size_t error_size, const char *what, const char *path)
{
    char reason[64];
    int code = errno;

    (void)snprintf(error, error_size, "%s %s: %s", what, path, strerror_r(code, reason, sizeof reason));
    return -1;
}

static bool parse_number(const char *text, long *value)
{
    char *end = NULL;

    if (text == NULL || text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    *value = strtol(text, &end, 10);
    return errno == 0 && *end == '\0';
}

int daemon_socket_from_systemd(char *error, size_t error_size)
{
    long pid = 0, count = 0;
    int type = 0, listening = 0;
    struct sockaddr_un address = {.sun_family = AF_UNSPEC};
    socklen_t length = sizeof type, listening_length = sizeof listening, address_length = sizeof address;

    if (!parse_number(getenv("LISTEN_PID"), &pid) || pid != (long)getpid())
        return -2;
    if (!parse_number(getenv("LISTEN_FDS"), &count) || count != 1) {
        (void)snprintf(error, error_size, "systemd passed %s sockets; phonemfad takes exactly one",
                       getenv("LISTEN_FDS") ? getenv("LISTEN_FDS") : "no");
        return -1;
    }
    int fd = SYSTEMD_FIRST_FD;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_length) != 0 || !listening ||
        getsockname(fd, (struct sockaddr *)&address, &address_length) != 0 || address.sun_family != AF_UNIX) {
        (void)snprintf(error, error_size, "the socket systemd passed is not a listening UNIX stream socket");
        return -1;
    }
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
        return fail(error, error_size, "cannot set up", "the socket systemd passed");
    return fd;
}

static int make_parent_directory(const char *path, char *error, size_t error_size)
{
    char directory[sizeof ((struct sockaddr_un *)0)->sun_path];
    struct stat status;

    (void)snprintf(directory, sizeof directory, "%s", path);
    char *slash = strrchr(directory, '/');
    if (slash == NULL || slash == directory)
        return 0;
    *slash = '\0';
    if (mkdir(directory, 0755) == 0) {
        /* Our umask is 077: clients of every user must reach the socket. */
        if (chmod(directory, 0755) != 0)
            return fail(error, error_size, "cannot set the mode of", directory);
    } else if (errno != EEXIST) {
        return fail(error, error_size, "cannot create", directory);
    }
    if (lstat(directory, &status) != 0)
        return fail(error, error_size, "cannot inspect", directory);
    if (!S_ISDIR(status.st_mode) || status.st_uid != 0 || (status.st_mode & 022) != 0) {
        (void)snprintf(error, error_size, "%s must be a directory owned by root and writable by root only",
                       directory);
        return -1;
    }
    return 0;
}

int daemon_socket_bind(const char *path, char *error, size_t error_size)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    struct stat status;

    if (path[0] != '/' || strlen(path) >= sizeof address.sun_path) {
        (void)snprintf(error, error_size, "the socket path must be absolute and under %zu bytes",
                       sizeof address.sun_path);
        return -1;
    }
    memcpy(address.sun_path, path, strlen(path) + 1);
    if (make_parent_directory(path, error, error_size) != 0)
        return -1;
    if (lstat(path, &status) == 0) {
        if (!S_ISSOCK(status.st_mode)) {
            (void)snprintf(error, error_size, "%s exists and is not a socket; not replacing it", path);
            return -1;
        }
        if (unlink(path) != 0)
            return fail(error, error_size, "cannot remove the old socket", path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return fail(error, error_size, "cannot create a socket for", path);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || chmod(path, 0666) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        (void)fail(error, error_size, "cannot listen on", path);
        (void)close(fd);
        return -1;
    }
    return fd;
}

void daemon_notify(const char *notify_socket, const char *state)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};

    if (notify_socket == NULL || (notify_socket[0] != '/' && notify_socket[0] != '@'))
        return;
    size_t length = strlen(notify_socket);
    if (length >= sizeof address.sun_path)
        return;
    memcpy(address.sun_path, notify_socket, length);
    if (address.sun_path[0] == '@')
        address.sun_path[0] = '\0'; /* the abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&address,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length));
    (void)close(fd);
}
