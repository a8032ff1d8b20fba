/* What a login asked and how it ended, and the one outcome line every login
 * is logged with. libc only: the PAM module logs the outcome of a login
 * that never reached phonemfad with the same line. */
#ifndef PHONEMFA_LOGIN_OUTCOME_H
#define PHONEMFA_LOGIN_OUTCOME_H

#include <stdbool.h>

#include "log.h"

struct login_request {
    const char *user;   /* whose phone is asked: PAM_USER, or PAM_RUSER (login.verify_user) */
    const char *target; /* the account logged in to, when that is another user; else NULL */
    const char *service;
    const char *remote_host;
    const char *tty;
    /* Re-authentication for a change of phones (phonemfa-setup): a
     * remembered login is neither honoured nor offered. */
    bool never_remember;
};

enum login_outcome {
    LOGIN_APPROVED,
    LOGIN_DENIED,
    LOGIN_IGNORED,             /* not enrolled (policy ignore), exempt, or failmode safe */
    LOGIN_CONVERSATION_ERROR,
    LOGIN_SERVICE_UNAVAILABLE, /* failmode secure, or phonemfad not reachable */
    LOGIN_INTERNAL_ERROR,      /* configuration, store or state error */
    LOGIN_USER_UNKNOWN,        /* no such user in NSS: nothing was sent */
    LOGIN_ABANDONED,           /* the client went away or stopped answering */
};

/* The one outcome line every login ends with:
 * "outcome=denied reason=wrong_code user=alice service=sshd rhost=... tty=...
 *  phone="+X XXXXXXXX17" channel=text". phone and channel may be NULL. */
void login_log_outcome(const struct log_sink *log, const struct login_request *request,
                       enum login_outcome outcome, const char *reason, const char *masked_phone,
                       const char *channel);

/* The outcome as phonemfad sends it to the module, and back. */
const char *login_outcome_wire_name(enum login_outcome outcome);
int login_outcome_from_wire(const char *name, enum login_outcome *outcome);

#endif
