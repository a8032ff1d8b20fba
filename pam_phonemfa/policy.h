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
 * databases, and PAM_RHOST as an address (host names are never resolved).
 * 0 with *exemption set, or -1 with error when a group lookup did not
 * complete (never taken as "not a member"). */
int policy_exemption(const struct phonemfa_config *config, const char *user, const char *remote_host,
                     enum exemption *exemption, char *error, size_t error_size);
const char *policy_exemption_reason(enum exemption exemption);

bool policy_address_in(const struct phonemfa_config *config, const char *remote_host);

/* Countries (by calling code) and channels an administrator allows. */
bool policy_phone_allowed(const struct phonemfa_config *config, const struct phone_number *number);

bool policy_uses_state(const struct phonemfa_config *config);

/* Whether the user is locked out at now; *until says until when (else 0). */
bool policy_locked_out(const struct user_state *state, time_t now, time_t *until);

/* What the state allowed, counted the moment it happened. */
enum attempt_verdict { ATTEMPT_ALLOWED, ATTEMPT_LOCKED_OUT, ATTEMPT_SEND_LIMIT };
struct attempt {
    enum attempt_verdict verdict;
    time_t locked_until; /* when locked out, or locked_now */
    bool locked_now;     /* this reservation's failure started the lockout */
};

/* Before a text or call: refused when locked out or over
 * limits.sends_per_user; else the send is counted, and with counts_failure
 * one failure with it (at login an abandoned verification is a failed one;
 * the first code typed for it is paid by it). */
int policy_reserve_send(const struct phonemfa_config *config, const struct record_dir *state_dir,
                        const char *user, time_t now, bool counts_failure, struct attempt *attempt,
                        struct record_dir_error *error);
/* Before a code is checked: refused when locked out; else one failure is
 * counted, unless paid_by (the send's attempt) already paid for it. */
int policy_reserve_code(const struct phonemfa_config *config, const struct record_dir *state_dir,
                        const char *user, time_t now, const struct attempt *paid_by,
                        struct attempt *attempt, struct record_dir_error *error);
/* The send reserved at reserved_at never reached the service: uncount it
 * (a lockout it started stays). */
int policy_refund_send(const struct phonemfa_config *config, const struct record_dir *state_dir,
                       const char *user, time_t reserved_at, struct record_dir_error *error);
/* An approved verification: the failures and any lockout are cleared. */
int policy_record_success(const struct record_dir *state_dir, const char *user,
                          struct record_dir_error *error);

/* Remembered logins: key from the configured parts of the login and the
 * target account (false, and out empty, when a part is unknown, e.g. no
 * remote host). A remembered login names the phone and channel verified
 * (policy_verified_phone) and is honoured only while that phone is still
 * registered and allowed. */
bool policy_remember_key(const struct phonemfa_config *config, const char *remote_host,
                         const char *service, const char *tty, const char *target, char *out,
                         size_t out_size);
bool policy_verified_phone(const struct phone_record *record, enum phone_slot slot,
                           enum phone_channel channel, char *out, size_t out_size);
bool policy_remembers(const struct phonemfa_config *config, const struct user_state *state,
                      const struct phone_record *record, const char *key, time_t now);
int policy_remember(const struct record_dir *state_dir, const char *user, const char *key,
                    const char *phones, time_t until, struct record_dir_error *error);

#endif
