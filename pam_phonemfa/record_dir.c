#include "record_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "safe_file.h"
#include "user_name.h"

#define NAME_MAX_LENGTH (USER_NAME_MAX + 16)
#define LOCK_POLL_MS 20

static int set_error(struct record_dir_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int set_error(struct record_dir_error *error, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    (void)vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    return -1;
}

static int file_name(const char *user, const char *suffix, char *out, size_t out_size,
                     struct record_dir_error *error)
{
    if (!user_name_is_valid(user))
        return set_error(error, "invalid user name");
    int n = snprintf(out, out_size, "%s%s", user, suffix);
    if (n < 0 || (size_t)n >= out_size)
        return set_error(error, "user name too long");
    return 0;
}

int record_dir_open(const char *path, const char *what, struct record_dir *dir,
                    struct record_dir_error *error)
{
    struct safe_file_error file_error;

    dir->directory_fd = -1;
    dir->path = NULL;
    dir->what = what;
    int fd = safe_open_directory(path, &file_error);
    if (fd < 0)
        return set_error(error, "%s %s", what, file_error.message);
    dir->path = strdup(path);
    if (dir->path == NULL) {
        (void)close(fd);
        return set_error(error, "out of memory");
    }
    dir->directory_fd = fd;
    return 0;
}

int record_dir_open_or_create(const char *path, const char *what, struct record_dir *dir,
                              struct record_dir_error *error)
{
    struct safe_file_error file_error;
    char parent[RECORD_DIR_ERROR_MAX / 2];
    const char *slash = strrchr(path, '/');

    if (path[0] != '/' || slash == NULL || slash[1] == '\0' || (size_t)(slash - path) >= sizeof parent)
        return record_dir_open(path, what, dir, error);
    (void)snprintf(parent, sizeof parent, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    int parent_fd = safe_open_directory(parent, &file_error);
    if (parent_fd < 0) {
        dir->directory_fd = -1;
        dir->path = NULL;
        dir->what = what;
        return set_error(error, "%s %s", what, file_error.message);
    }
    /* Made by root in a root-only parent; the mode is set on the opened
     * directory so the caller's umask decides nothing. */
    bool created = mkdirat(parent_fd, slash + 1, 0700) == 0;
    if (created) {
        int fd = openat(parent_fd, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fchmod(fd, 0700) != 0 || fsync(parent_fd) != 0) {
            if (fd >= 0)
                (void)close(fd);
            (void)close(parent_fd);
            return set_error(error, "%s %s: cannot create it", what, path);
        }
        (void)close(fd);
    }
    (void)close(parent_fd);
    return record_dir_open(path, what, dir, error);
}

void record_dir_close(struct record_dir *dir)
{
    if (dir->directory_fd >= 0)
        (void)close(dir->directory_fd);
    dir->directory_fd = -1;
    free(dir->path);
    dir->path = NULL;
}

enum record_read_result record_dir_read(const struct record_dir *dir, const char *user,
                                        const char *suffix, size_t max_size, char **content,
                                        size_t *length, struct record_dir_error *error)
{
    char name[NAME_MAX_LENGTH];
    char what[RECORD_DIR_ERROR_MAX / 2];
    struct safe_file_error file_error;
    struct stat st;
    enum record_read_result result = RECORD_ERROR;

    if (file_name(user, suffix, name, sizeof name, error) != 0)
        return RECORD_ERROR;
    (void)snprintf(what, sizeof what, "%s/%s", dir->path, name);
    /* Reads take no lock: a writer may rename a new file over this one once
     * it is open. The opened file is then the record as it was (see
     * SAFE_FILE_MAYBE_REPLACED); opening again could lose that race for ever. */
    int fd = openat(dir->directory_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        char buf[128];
        if (errno == ENOENT)
            return RECORD_ABSENT;
        set_error(error, "%s: %s", what, errno == ELOOP ? "is a symlink" : strerror_r(errno, buf, sizeof buf));
        return RECORD_ERROR;
    }
    if (fstat(fd, &st) != 0) {
        set_error(error, "%s: cannot stat", what);
        goto out;
    }
    if (!safe_check_owner_mode(&st, what, SAFE_FILE_MAYBE_REPLACED, &file_error) ||
        safe_read_descriptor(fd, what, max_size, content, length, &file_error) != 0) {
        set_error(error, "%s", file_error.message);
        goto out;
    }
    result = RECORD_FOUND;
out:
    (void)close(fd);
    return result;
}

int record_dir_lock(const struct record_dir *dir, const char *user, struct record_dir_error *error)
{
    char name[NAME_MAX_LENGTH];
    struct stat st;

    if (file_name(user, ".lock", name, sizeof name, error) != 0)
        return -1;
    int fd = openat(dir->directory_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return set_error(error, "lock %s/%s: cannot open", dir->path, name);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0) {
        (void)close(fd);
        return set_error(error, "lock %s/%s: not a root-owned regular file", dir->path, name);
    }
    /* A holder that was stopped (SIGSTOP) or hangs must not block this
     * user's logins for ever: wait a bounded time, then give up. */
    struct timespec pause = {.tv_sec = 0, .tv_nsec = LOCK_POLL_MS * 1000000L};
    for (long waited = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; waited += LOCK_POLL_MS) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            (void)close(fd);
            return set_error(error, "lock %s/%s: cannot lock", dir->path, name);
        }
        if (waited >= RECORD_DIR_LOCK_WAIT_S * 1000L) {
            (void)close(fd);
            return set_error(error, "lock %s/%s: still held by another process after %d s", dir->path, name,
                             RECORD_DIR_LOCK_WAIT_S);
        }
        (void)nanosleep(&pause, NULL);
    }
    return fd;
}

void record_dir_unlock(int lock_fd)
{
    if (lock_fd >= 0)
        (void)close(lock_fd); /* closing releases the flock */
}

static int write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return -1;
        data += written;
        length -= (size_t)written;
    }
    return 0;
}

int record_dir_write_locked(const struct record_dir *dir, const char *user, const char *suffix,
                            const char *content, struct record_dir_error *error)
{
    char name[NAME_MAX_LENGTH];
    char temp[NAME_MAX_LENGTH + 8];

    if (file_name(user, suffix, name, sizeof name, error) != 0)
        return -1;
    /* Writers hold the user's lock, so one temp name per file is enough, and
     * a temp file found here was left by a writer that was killed: it goes. */
    (void)snprintf(temp, sizeof temp, ".%s.tmp", name);
    if (unlinkat(dir->directory_fd, temp, 0) != 0 && errno != ENOENT)
        return set_error(error, "%s %s: cannot remove the stale %s", dir->what, dir->path, temp);
    int fd = openat(dir->directory_fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                    0600);
    if (fd < 0)
        return set_error(error, "%s %s: cannot create a temp file", dir->what, dir->path);
    bool written = write_all(fd, content, strlen(content)) == 0 && write_all(fd, "\n", 1) == 0 &&
                   fchmod(fd, 0600) == 0 && fsync(fd) == 0;
    if (close(fd) != 0)
        written = false;
    if (!written || renameat(dir->directory_fd, temp, dir->directory_fd, name) != 0) {
        (void)unlinkat(dir->directory_fd, temp, 0);
        return set_error(error, "%s %s: cannot write %s", dir->what, dir->path, name);
    }
    if (fsync(dir->directory_fd) != 0)
        return set_error(error, "%s %s: cannot fsync the directory", dir->what, dir->path);
    return 0;
}

int record_dir_remove_locked(const struct record_dir *dir, const char *user, const char *suffix,
                             struct record_dir_error *error)
{
    char name[NAME_MAX_LENGTH];

    if (file_name(user, suffix, name, sizeof name, error) != 0)
        return -1;
    if (unlinkat(dir->directory_fd, name, 0) != 0 && errno != ENOENT)
        return set_error(error, "%s %s: cannot remove %s", dir->what, dir->path, name);
    if (fsync(dir->directory_fd) != 0)
        return set_error(error, "%s %s: cannot fsync the directory", dir->what, dir->path);
    return 0;
}
