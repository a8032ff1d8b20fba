/* A root-owned directory of small per-user files (the phone store, the
 * per-user state). Reads never lock (renames are atomic) and check every
 * file like the configuration: regular, root-owned, one link, not writable
 * by group or others, no symlink. Writers hold the user's lock, write a
 * temp file (".USER.json.tmp"; one left by a killed writer is removed by the
 * next), fsync it, rename it over the file and fsync the directory, so a
 * crash or a concurrent writer never leaves a half-written or lost file. */
#ifndef PHONEMFA_RECORD_DIR_H
#define PHONEMFA_RECORD_DIR_H

#include <stddef.h>

#define RECORD_DIR_ERROR_MAX 512

struct record_dir_error {
    char message[RECORD_DIR_ERROR_MAX];
};

struct record_dir {
    int directory_fd;
    char *path;
    const char *what; /* "phone store", "state directory": names it in errors */
};

enum record_read_result { RECORD_FOUND, RECORD_ABSENT, RECORD_ERROR };

int record_dir_open(const char *path, const char *what, struct record_dir *dir,
                    struct record_dir_error *error);
/* The same, creating the directory (root, 0700) when it is missing and its
 * parent passes the same checks. */
int record_dir_open_or_create(const char *path, const char *what, struct record_dir *dir,
                              struct record_dir_error *error);
void record_dir_close(struct record_dir *dir);

/* user's file "<user><suffix>" (the user name is validated first). */
enum record_read_result record_dir_read(const struct record_dir *dir, const char *user,
                                        const char *suffix, size_t max_size, char **content,
                                        size_t *length, struct record_dir_error *error);

/* The user's exclusive lock, waited for at most RECORD_DIR_LOCK_WAIT_S;
 * hand the descriptor to record_dir_unlock(). */
#define RECORD_DIR_LOCK_WAIT_S 10
int record_dir_lock(const struct record_dir *dir, const char *user, struct record_dir_error *error);
void record_dir_unlock(int lock_fd);

int record_dir_write_locked(const struct record_dir *dir, const char *user, const char *suffix,
                            const char *content, struct record_dir_error *error);
int record_dir_remove_locked(const struct record_dir *dir, const char *user, const char *suffix,
                             struct record_dir_error *error);

#endif
