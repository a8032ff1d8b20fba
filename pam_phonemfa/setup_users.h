/* Who phonemfa-setup works on: user names as a login sees them, and the
 * users of the local phone store. */
#ifndef PHONEMFA_SETUP_USERS_H
#define PHONEMFA_SETUP_USERS_H

#include "setup_admin.h"

/* context->user: name as NSS spells it (into canonical), or name itself with
 * context->user_unknown when NSS knows no such user. SETUP_BROKEN (said)
 * when the lookup did not complete: nothing is decided on half an answer. */
int setup_canonical_user(struct setup_context *context, const char *name, char canonical[USER_NAME_MAX + 1]);

/* visit() for each record file's user name in directory, in name order;
 * 0, or -1 when the directory cannot be read. */
int setup_each_record(const char *directory, void (*visit)(const char *user, void *argument), void *argument);

enum user_existence { USER_EXISTS, USER_OTHER_SPELLING, USER_MISSING, USER_LOOKUP_FAILED };

/* Whether a record's user exists as NSS spells it; error set when the
 * lookup failed. */
enum user_existence setup_user_exists(const char *user, char *error, size_t error_size);

/* Every user of the local phone store with their phones, masked. */
int setup_users(const struct setup_context *context);

#endif
