#include "phone_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy_error(struct store_error *error, const char *prefix, const struct record_dir_error *from)
{
    (void)snprintf(error->message, sizeof error->message, "%s%.480s", prefix, from->message);
    return -1;
}

int phone_store_open(const char *directory, struct phone_store *store, struct store_error *error)
{
    struct record_dir_error dir_error;

    if (record_dir_open(directory, "phone store", &store->dir, &dir_error) != 0)
        return copy_error(error, "", &dir_error);
    return 0;
}

void phone_store_close(struct phone_store *store)
{
    record_dir_close(&store->dir);
}

enum store_read_result phone_store_read(const struct phone_store *store, const char *user,
                                        struct phone_record *record, struct store_error *error)
{
    struct record_dir_error dir_error;
    struct phone_record_error record_error;
    char *content = NULL;
    size_t length = 0;

    switch (record_dir_read(&store->dir, user, ".json", PHONE_RECORD_MAX_BYTES, &content, &length,
                            &dir_error)) {
    case RECORD_ABSENT:
        return STORE_NOT_ENROLLED;
    case RECORD_ERROR:
        copy_error(error, user_name_is_valid(user) ? "phone record " : "", &dir_error);
        return STORE_ERROR;
    case RECORD_FOUND:
        break;
    }
    int parsed = phone_record_parse(content, length, record, &record_error);
    free(content);
    if (parsed != 0) {
        (void)snprintf(error->message, sizeof error->message, "phone record %s/%s.json: %s",
                       store->dir.path, user, record_error.message);
        return STORE_ERROR;
    }
    return STORE_FOUND;
}

int phone_store_lock(const struct phone_store *store, const char *user, struct store_error *error)
{
    struct record_dir_error dir_error;
    int fd = record_dir_lock(&store->dir, user, &dir_error);

    if (fd < 0)
        copy_error(error, "", &dir_error);
    return fd;
}

void phone_store_unlock(int lock_fd)
{
    record_dir_unlock(lock_fd);
}

int phone_store_write_locked(const struct phone_store *store, const char *user,
                             const struct phone_record *record, struct store_error *error)
{
    struct record_dir_error dir_error;
    struct phone_record_error record_error;

    char *text = phone_record_serialize(record, &record_error);
    if (text == NULL) {
        (void)snprintf(error->message, sizeof error->message, "record for %s: %s", user,
                       record_error.message);
        return -1;
    }
    int result = record_dir_write_locked(&store->dir, user, ".json", text, &dir_error);
    free(text);
    return result == 0 ? 0 : copy_error(error, "", &dir_error);
}

int phone_store_remove_locked(const struct phone_store *store, const char *user,
                              struct store_error *error)
{
    struct record_dir_error dir_error;

    if (record_dir_remove_locked(&store->dir, user, ".json", &dir_error) != 0)
        return copy_error(error, "", &dir_error);
    return 0;
}
