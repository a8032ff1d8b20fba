/* Where users' phones come from: the local phone store ("files"), the
 * organisation's LDAP directory (AD, OpenLDAP, FreeIPA) or Microsoft Entra
 * ID. The login flow, the policy, the menu and phonemfa-setup see only this
 * interface; which backend answers is directory.backend in phonemfa.conf. */
#ifndef PHONEMFA_PHONE_DIRECTORY_H
#define PHONEMFA_PHONE_DIRECTORY_H

#include <stdbool.h>

#include "config.h"
#include "log.h"
#include "phone_record.h"

#define DIRECTORY_ERROR_MAX 512

struct directory_error {
    char message[DIRECTORY_ERROR_MAX]; /* for the log and the administrator: sanitised, never a secret */
};

enum directory_result {
    DIRECTORY_FOUND,        /* the record holds the user's usable phones */
    DIRECTORY_NOT_ENROLLED, /* no phone there for this user, or no such user there */
    DIRECTORY_UNAVAILABLE,  /* the directory could not be reached in time: login.failmode decides */
    DIRECTORY_FAILED,       /* anything else (refused credentials, an ambiguous or broken answer): denied */
};

struct http_pool;
struct phone_directory;

/* One per loaded configuration (which must outlive it), shared by every
 * login thread: the backends keep their connection and token under their
 * own lock. pool: phonemfad's keep-alive HTTPS connections, or NULL. log:
 * where a backend reports what it skipped (an unusable number). */
struct phone_directory *phone_directory_new(const struct phonemfa_config *config, struct http_pool *pool,
                                            const struct log_sink *log, struct directory_error *error);
void phone_directory_free(struct phone_directory *directory);

/* user: a valid, canonical user name. */
enum directory_result phone_directory_read(struct phone_directory *directory, const char *user,
                                           struct phone_record *record, struct directory_error *error);

/* Change a user's phones: change() edits the record as it is now (all
 * empty when the user has none) and returns 0 to save it, or anything
 * else, which is returned without saving. The local store locks the user's
 * record for the whole edit; a directory applies only the slots that
 * changed, and refuses a change it cannot keep (a preferred method).
 * DIRECTORY_EDIT_FAILED with error set when reading or saving failed. */
#define DIRECTORY_EDIT_FAILED (-1)
int phone_directory_edit(struct phone_directory *directory, const char *user,
                         int (*change)(void *argument, struct phone_record *record, bool *exists), void *argument,
                         struct directory_error *error);

/* The slots phonemfa-setup may change here (1 << enum phone_slot); 0 when
 * phonemfa may not write (then say who does: phone_directory_managed_by). */
unsigned phone_directory_writable_slots(const struct phone_directory *directory);
/* Whether the preferred method and the verification facts (by whom, when)
 * are kept: only in the local store. */
bool phone_directory_keeps_details(const struct phone_directory *directory);
/* "the local phone store (/var/lib/phonemfa)", "the LDAP directory
 * (ldaps://dc1.example.com)", "Microsoft Entra ID (tenant contoso.com)". */
const char *phone_directory_where(const struct phone_directory *directory);
/* directory.managed_by, or a sentence naming the administrator. */
const char *phone_directory_managed_by(const struct phone_directory *directory);

#endif
