/* What the module remembers about a user between logins: recent failed
 * verifications and a lockout, recent texts and calls (for the send limit),
 * and remembered logins. One JSON file per user (USER.state) in the state
 * directory, with the phone store's safety rules; every change is a
 * read-modify-write under the user's lock, so parallel logins never lose a
 * count or exceed a limit. */
#ifndef PHONEMFA_USER_STATE_H
#define PHONEMFA_USER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "record_dir.h"

#define STATE_MAX_EVENTS 200
#define STATE_MAX_REMEMBERED 16
#define STATE_KEY_MAX 200
#define STATE_FILE_MAX (64 * 1024)

struct remembered_login {
    char key[STATE_KEY_MAX + 1];    /* e.g. "rhost=192.0.2.10;service=sshd" */
    char phones[STATE_KEY_MAX + 1]; /* the phones it was proven with */
    time_t until;
};

struct user_state {
    time_t failures[STATE_MAX_EVENTS];
    size_t failure_count;
    time_t locked_until;
    time_t sends[STATE_MAX_EVENTS];
    size_t send_count;
    struct remembered_login remembered[STATE_MAX_REMEMBERED];
    size_t remembered_count;
};

int user_state_parse(const char *json, size_t length, struct user_state *state, char *error,
                     size_t error_size);
char *user_state_serialize(const struct user_state *state);

/* Read a user's state; a missing file is an empty state. */
int user_state_read(const struct record_dir *dir, const char *user, struct user_state *state,
                    struct record_dir_error *error);

/* Lock, read, let change() modify the state, write it back, unlock.
 * change returns 0 to write, 1 to leave the file as it was, -1 on error. */
int user_state_update(const struct record_dir *dir, const char *user,
                      int (*change)(struct user_state *state, void *context), void *context,
                      struct record_dir_error *error);

/* Drop events older than now - window. */
void user_state_prune(time_t *events, size_t *count, time_t now, long window);

#endif
