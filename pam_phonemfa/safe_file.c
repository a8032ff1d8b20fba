#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void set_error(struct safe_file_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct safe_file_error *error, const char *format, ...)
{
    va_list args;

    if (error == NULL)
        return;
    va_start(args, format);
    (void)vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
}

bool safe_check_owner_mode(const struct stat *st, const char *what, enum safe_object kind,
                           struct safe_file_error *error)
{
    bool expect_directory = kind == SAFE_DIRECTORY;

    if (expect_directory && !S_ISDIR(st->st_mode)) {
        set_error(error, "%s: not a directory", what);
        return false;
    }
    if (!expect_directory && !S_ISREG(st->st_mode)) {
        set_error(error, "%s: not a regular file", what);
        return false;
    }
    if (st->st_uid != 0) {
        set_error(error, "%s: not owned by root (owner uid %u)", what, (unsigned)st->st_uid);
        return false;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        set_error(error, "%s: writable by group or others (mode %04o)", what,
                  (unsigned)(st->st_mode & 07777));
        return false;
    }
    bool link_count_ok = st->st_nlink == 1 || (kind == SAFE_FILE_MAYBE_REPLACED && st->st_nlink == 0) ||
                         kind == SAFE_FILE_ANY_LINKS;
    if (!expect_directory && !link_count_ok) {
        set_error(error, "%s: has %lu hard links, expected 1", what, (unsigned long)st->st_nlink);
        return false;
    }
    return true;
}

static int split_path(const char *path, char *directory, size_t directory_size,
                      const char **base, struct safe_file_error *error)
{
    const char *slash = strrchr(path, '/');

    if (path[0] != '/' || slash == NULL || slash[1] == '\0') {
        set_error(error, "%s: not an absolute path to a file", path);
        return -1;
    }
    size_t dir_length = (slash == path) ? 1 : (size_t)(slash - path);
    if (dir_length >= directory_size) {
        set_error(error, "%s: path too long", path);
        return -1;
    }
    memcpy(directory, path, dir_length);
    directory[dir_length] = '\0';
    *base = slash + 1;
    return 0;
}

int safe_open_directory(const char *path, struct safe_file_error *error)
{
    struct stat st;

    if (path == NULL || path[0] != '/') {
        set_error(error, "%s: not an absolute path", path ? path : "(null)");
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        char buf[128];
        set_error(error, "%s: %s", path,
                  saved == ELOOP || saved == ENOTDIR ? "is a symlink or not a directory"
                                                     : strerror_r(saved, buf, sizeof buf));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        set_error(error, "%s: cannot stat", path);
        (void)close(fd);
        return -1;
    }
    if (!safe_check_owner_mode(&st, path, SAFE_DIRECTORY, error)) {
        (void)close(fd);
        return -1;
    }
    return fd;
}

static int read_descriptor(int fd, const char *what, size_t max_size, bool binary, char **content,
                           size_t *length, struct safe_file_error *error)
{
    struct stat st;
    int result = -1;

    if (fstat(fd, &st) != 0) {
        set_error(error, "%s: cannot stat", what);
        return -1;
    }
    if (st.st_size < 0 || (size_t)st.st_size > max_size) {
        set_error(error, "%s: larger than %zu bytes", what, max_size);
        return -1;
    }
    /* Read one byte more than allowed so growth after fstat is noticed. */
    size_t capacity = max_size + 2;
    char *buffer = malloc(capacity);
    if (buffer == NULL) {
        set_error(error, "%s: out of memory", what);
        return -1;
    }
    size_t total = 0;
    while (total <= max_size) {
        ssize_t got = read(fd, buffer + total, max_size + 1 - total);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            set_error(error, "%s: read error", what);
            goto out;
        }
        if (got == 0)
            break;
        total += (size_t)got;
    }
    if (total > max_size) {
        set_error(error, "%s: larger than %zu bytes", what, max_size);
        goto out;
    }
    if (!binary && memchr(buffer, '\0', total) != NULL) {
        set_error(error, "%s: contains a NUL byte", what);
        goto out;
    }
    buffer[total] = '\0';
    *content = buffer;
    *length = total;
    buffer = NULL;
    result = 0;
out:
    if (buffer != NULL) {
        explicit_bzero(buffer, capacity);
        free(buffer);
    }
    return result;
}

int safe_read_descriptor(int fd, const char *what, size_t max_size, char **content,
                         size_t *length, struct safe_file_error *error)
{
    return read_descriptor(fd, what, max_size, false, content, length, error);
}

int safe_read_file(const char *path, size_t max_size, enum safe_file_access access,
                   char **content, size_t *length, unsigned *mode, struct safe_file_error *error)
{
    char directory[PATH_MAX];
    const char *base = NULL;
    struct stat st;
    int result = -1;
    int file_fd = -1;

    if (path == NULL) {
        set_error(error, "(null): no path");
        return -1;
    }
    if (split_path(path, directory, sizeof directory, &base, error) != 0)
        return -1;
    int dir_fd = safe_open_directory(directory, error);
    if (dir_fd < 0)
        return -1;

    file_fd = openat(dir_fd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (file_fd < 0) {
        int saved = errno;
        char buf[128];
        set_error(error, "%s: %s", path,
                  saved == ELOOP ? "is a symlink" : strerror_r(saved, buf, sizeof buf));
        goto out;
    }
    if (fstat(file_fd, &st) != 0) {
        set_error(error, "%s: cannot stat", path);
        goto out;
    }
    if (!safe_check_owner_mode(&st, path, access == SAFE_FILE_BINARY ? SAFE_FILE_ANY_LINKS : SAFE_FILE, error))
        goto out;
    /* A group can hold non-root members: a secret is root's alone. */
    if (access == SAFE_FILE_PRIVATE && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        set_error(error, "%s: holds a secret but group or others have access (mode %04o); it must be mode 0600",
                  path, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (read_descriptor(file_fd, path, max_size, access == SAFE_FILE_BINARY, content, length, error) != 0)
        goto out;
    if (mode != NULL)
        *mode = (unsigned)(st.st_mode & 07777);
    result = 0;
out:
    if (file_fd >= 0)
        (void)close(file_fd);
    (void)close(dir_fd);
    return result;
}
