/* User and group lookups through NSS that either complete or say they
 * failed. An incomplete answer (a buffer too small, a user in more groups
 * than fit, a directory that did not answer) is never taken for "no such
 * user" or "not a member": for a required group that would exempt the user. */
#ifndef PHONEMFA_NSS_LOOKUP_H
#define PHONEMFA_NSS_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "user_name.h"

#define NSS_ERROR_MAX 256

enum nss_result { NSS_FOUND, NSS_NOT_FOUND, NSS_FAILED };

/* The user's canonical name as NSS spells it (pw_name: "alice" for
 * "ALICE" under a case-insensitive directory). canonical holds
 * USER_NAME_MAX + 1 bytes; a canonical name that is not a valid user name
 * is a failure. */
enum nss_result nss_canonical_user(const char *name, char canonical[USER_NAME_MAX + 1], char *error,
                                   size_t error_size);

/* The uid of user, for phonemfad's check that a non-root client asks only
 * about itself. */
enum nss_result nss_user_uid(const char *name, unsigned long *uid, char *error, size_t error_size);

/* Whether user belongs to one of groups (primary or supplementary). A
 * listed group that does not exist is a failure when missing_is_error
 * (required groups), else it simply has no members. 0, or -1 with error. */
int nss_user_in_groups(const char *user, const struct name_list *groups, bool missing_is_error,
                       bool *member, char *error, size_t error_size);

#endif
