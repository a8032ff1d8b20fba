/* The embedded phone store: a root-owned directory with one JSON record per
 * user. Reads never take a lock (renames are atomic); writers hold a per-user
 * lock, write a temp file, fsync it, rename it over the record and fsync the
 * directory, so a crash or a concurrent writer never leaves a half-written
 * or lost record. */
#ifndef PHONEMFA_PHONE_STORE_H
#define PHONEMFA_PHONE_STORE_H

#include "phone_record.h"
#include "record_dir.h"

#define STORE_ERROR_MAX 512

struct store_error {
    char message[STORE_ERROR_MAX];
};

struct phone_store {
    struct record_dir dir;
};

enum store_read_result { STORE_FOUND, STORE_NOT_ENROLLED, STORE_ERROR };

int phone_store_open(const char *directory, struct phone_store *store, struct store_error *error);
void phone_store_close(struct phone_store *store);

enum store_read_result phone_store_read(const struct phone_store *store, const char *user,
                                        struct phone_record *record, struct store_error *error);

/* Take the user's exclusive write lock (blocks). Returns a descriptor to
 * hand back to phone_store_unlock(), or -1. */
int phone_store_lock(const struct phone_store *store, const char *user, struct store_error *error);
void phone_store_unlock(int lock_fd);

int phone_store_write_locked(const struct phone_store *store, const char *user,
                             const struct phone_record *record, struct store_error *error);
int phone_store_remove_locked(const struct phone_store *store, const char *user,
                              struct store_error *error);

#endif
