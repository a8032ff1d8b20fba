#include "phone_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe_file.h"

static int set_error(struct store_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int set_error(struct store_error *error, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    (void)vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    return -1;
}

static int file_name(const char *user, const char *suffix, char *out, size_t out_size,
                     struct store_error *error)
{
    if (!user_name_is_valid(user))
        return set_error(error, "invalid user name");
    int n = snprintf(out, out_size, "%s%s", user, suffix);
    if (n < 0 || (size_t)n >= out_size)
        return set_error(error, "user name too long");
    return 0;
}

int phone_store_open(const char *directory, struct phone_store *store, struct store_error *error)
{
    struct safe_file_error file_error;

    store->directory_fd = -1;
    store->path = NULL;
    int fd = safe_open_directory(directory, &file_error);
    if (fd < 0)
        return set_error(error, "phone store %s", file_error.message);
    store->path = strdup(directory);
    if (store->path == NULL) {
        (void)close(fd);
        return set_error(error, "out of memory");
    }
    store->directory_fd = fd;
    return 0;
}

void phone_store_close(struct phone_store *store)
{
    if (store->directory_fd >= 0)
        (void)close(store->directory_fd);
    store->directory_fd = -1;
    free(store->path);
    store->path = NULL;
}

enum store_read_result phone_store_read(const struct phone_store *store, const char *user,
                                        struct phone_record *record, struct store_error *error)
{
    char name[USER_NAME_MAX + 16];
    char what[STORE_ERROR_MAX / 2];
    struct safe_file_error file_error;
    struct phone_record_error record_error;
    struct stat st;
    char *content = NULL;
    size_t length = 0;
    enum store_read_result result = STORE_ERROR;

    if (file_name(user, ".json", name, sizeof name, error) != 0)
        return STORE_ERROR;
    (void)snprintf(what, sizeof what, "%s/%s", store->path, name);
    int fd = openat(store->directory_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        char buf[128];
        if (errno == ENOENT)
            return STORE_NOT_ENROLLED;
        set_error(error, "phone record %s: %s", what,
                  errno == ELOOP ? "is a symlink" : strerror_r(errno, buf, sizeof buf));
        return STORE_ERROR;
    }
    if (fstat(fd, &st) != 0) {
        set_error(error, "phone record %s: cannot stat", what);
        goto out;
    }
    if (!safe_check_owner_mode(&st, what, false, &file_error) ||
        safe_read_descriptor(fd, what, PHONE_RECORD_MAX_BYTES, &content, &length, &file_error) != 0) {
        set_error(error, "phone record %s", file_error.message);
        goto out;
    }
    if (phone_record_parse(content, length, record, &record_error) != 0) {
        set_error(error, "phone record %s: %s", what, record_error.message);
        goto out;
    }
    result = STORE_FOUND;
out:
    free(content);
    (void)close(fd);
    return result;
}

int phone_store_lock(const struct phone_store *store, const char *user, struct store_error *error)
{
    char name[USER_NAME_MAX + 16];
    struct stat st;

    if (file_name(user, ".lock", name, sizeof name, error) != 0)
        return -1;
    int fd = openat(store->directory_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return set_error(error, "lock %s/%s: cannot open", store->path, name);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0) {
        (void)close(fd);
        return set_error(error, "lock %s/%s: not a root-owned regular file", store->path, name);
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            (void)close(fd);
            return set_error(error, "lock %s/%s: cannot lock", store->path, name);
        }
    }
    return fd;
}

void phone_store_unlock(int lock_fd)
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

int phone_store_write_locked(const struct phone_store *store, const char *user,
                             const struct phone_record *record, struct store_error *error)
{
    char name[USER_NAME_MAX + 16];
    char temp[USER_NAME_MAX + 48];
    unsigned char random_bytes[8];
    struct phone_record_error record_error;
    int result = -1;

    if (file_name(user, ".json", name, sizeof name, error) != 0)
        return -1;
    char *text = phone_record_serialize(record, &record_error);
    if (text == NULL)
        return set_error(error, "record for %s: %s", user, record_error.message);
    if (getrandom(random_bytes, sizeof random_bytes, 0) != (ssize_t)sizeof random_bytes) {
        set_error(error, "no randomness for a temp file name");
        goto out_text;
    }
    (void)snprintf(temp, sizeof temp, ".%s.tmp.%02x%02x%02x%02x%02x%02x%02x%02x", name,
                   random_bytes[0], random_bytes[1], random_bytes[2], random_bytes[3],
                   random_bytes[4], random_bytes[5], random_bytes[6], random_bytes[7]);
    int fd = openat(store->directory_fd, temp,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        set_error(error, "phone store %s: cannot create a temp file", store->path);
        goto out_text;
    }
    size_t length = strlen(text);
    bool written = write_all(fd, text, length) == 0 && write_all(fd, "\n", 1) == 0 &&
                   fchmod(fd, 0600) == 0 && fsync(fd) == 0;
    if (close(fd) != 0)
        written = false;
    if (!written) {
        set_error(error, "phone store %s: cannot write %s", store->path, temp);
        goto out_unlink;
    }
    if (renameat(store->directory_fd, temp, store->directory_fd, name) != 0) {
        set_error(error, "phone store %s: cannot rename onto %s", store->path, name);
        goto out_unlink;
    }
    if (fsync(store->directory_fd) != 0) {
        set_error(error, "phone store %s: cannot fsync the directory", store->path);
        goto out_text;
    }
    result = 0;
    goto out_text;
out_unlink:
    (void)unlinkat(store->directory_fd, temp, 0);
out_text:
    free(text);
    return result;
}

int phone_store_remove_locked(const struct phone_store *store, const char *user,
                              struct store_error *error)
{
    char name[USER_NAME_MAX + 16];

    if (file_name(user, ".json", name, sizeof name, error) != 0)
        return -1;
    if (unlinkat(store->directory_fd, name, 0) != 0 && errno != ENOENT)
        return set_error(error, "phone store %s: cannot remove %s", store->path, name);
    if (fsync(store->directory_fd) != 0)
        return set_error(error, "phone store %s: cannot fsync the directory", store->path);
    return 0;
}
