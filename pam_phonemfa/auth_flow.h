/* The second-factor login, independent of PAM: the front end supplies a way
 * to ask the user (a prompter) and a log sink; the flow shows the menu,
 * starts the verification, checks the answer and decides. */
#ifndef PHONEMFA_AUTH_FLOW_H
#define PHONEMFA_AUTH_FLOW_H

#include <stdbool.h>

#include "config.h"
#include "log.h"

enum prompt_style { PROMPT_ECHO_ON, PROMPT_ECHO_OFF };

struct prompter {
    void *context;
    /* Ask and wait for an answer (malloc'd, the flow wipes and frees it).
     * Returns -1 when the conversation failed or reached end of input. */
    int (*ask)(void *context, enum prompt_style style, const char *text, char **answer);
    /* Best effort: a final message the user should see. */
    void (*tell)(void *context, const char *text);
};

struct login_request {
    const char *user;   /* whose phone is asked: PAM_USER, or PAM_RUSER (login.verify_user) */
    const char *target; /* the account logged in to, when that is another user; else NULL */
    const char *service;
    const char *remote_host;
    const char *tty;
    const char *locale; /* may be NULL */
    /* The process was started by a user (a setuid program such as su): they
     * can stop, starve or kill it, so an outage may be of their making and
     * failmode "safe" never applies. */
    bool caller_started_by_user;
    unsigned long caller_uid;
    /* Re-authentication for a change of phones (phonemfa-setup): a
     * remembered login is neither honoured nor offered. */
    bool never_remember;
};

enum login_outcome {
    LOGIN_APPROVED,
    LOGIN_DENIED,
    LOGIN_IGNORED,             /* not enrolled (policy ignore) or failmode safe */
    LOGIN_CONVERSATION_ERROR,
    LOGIN_SERVICE_UNAVAILABLE, /* failmode secure */
    LOGIN_INTERNAL_ERROR,      /* store or setup error */
    LOGIN_USER_UNKNOWN,        /* no such user in NSS: nothing was sent */
};

/* The user (and target) are looked up in NSS first and continue under
 * their canonical names; an unknown user is denied before anything is sent. */
enum login_outcome login_verify(const struct phonemfa_config *config,
                                const struct login_request *request, const struct prompter *prompter,
                                const struct log_sink *log);

/* The one outcome line every login ends with:
 * "outcome=denied reason=wrong_code user=alice service=sshd rhost=... tty=...
 *  phone="+X XXXXXXXX17" channel=text". phone and channel may be NULL. */
void login_log_outcome(const struct log_sink *log, const struct login_request *request,
                       enum login_outcome outcome, const char *reason, const char *masked_phone,
                       const char *channel);

#endif
