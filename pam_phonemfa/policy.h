/* Who must verify, which phones may be used, and the abuse controls that
 * need per-user state (lockout, send limit, remembered logins). */
#ifndef PHONEMFA_POLICY_H
#define PHONEMFA_POLICY_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "phone_record.h"
#include "record_dir.h"
#include "user_state.h"

enum exemption {
    NOT_EXEMPT,
    EXEMPT_USER,
    EXEMPT_GROUP,
    NOT_IN_REQUIRED_GROUP,
    TRUSTED_NETWORK,
};

/* Decided only from root-controlled data: the config, the user and group
 * databases, and PAM_RHOST as an address (host names are never resolved). */
enum exemption policy_exemption(const struct phonemfa_config *config, const char *user,
                                const char *remote_host);
const char *policy_exemption_reason(enum exemption exemption);

bool policy_user_in_groups(const char *user, const struct name_list *groups);
bool policy_address_in(const struct phonemfa_config *config, const char *remote_host);

/* Countries (by calling code) and channels an administrator allows. */
bool policy_phone_allowed(const struct phonemfa_config *config, const struct phone_number *number);

bool policy_uses_state(const struct phonemfa_config *config);

/* Whether the user is locked out at now; *until says until when (else 0). */
bool policy_locked_out(const struct user_state *state, time_t now, time_t *until);
/* Count one text or call against the user's limit if there is room. */
int policy_reserve_send(const struct phonemfa_config *config, const struct record_dir *state_dir,
                        const char *user, time_t now, bool *allowed, struct record_dir_error *error);
int policy_record_failure(const struct phonemfa_config *config, const struct record_dir *state_dir,
                          const char *user, time_t now, bool *locked, struct record_dir_error *error);
int policy_record_success(const struct record_dir *state_dir, const char *user,
                          struct record_dir_error *error);

/* Remembered logins: key from the configured parts of the login (false, and
 * out empty, when a part is unknown, e.g. no remote host), phones from the
 * record. */
bool policy_remember_key(const struct phonemfa_config *config, const char *remote_host,
                         const char *service, const char *tty, char *out, size_t out_size);
void policy_phones_fingerprint(const struct phone_record *record, char *out, size_t out_size);
bool policy_remembers(const struct user_state *state, const char *key, const char *phones, time_t now);
int policy_remember(const struct record_dir *state_dir, const char *user, const char *key,
                    const char *phones, time_t until, struct record_dir_error *error);

#endif
