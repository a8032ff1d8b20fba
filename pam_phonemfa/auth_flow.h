/* The second-factor login, independent of PAM: the front end supplies a way
 * to ask the user (a prompter) and a log sink; the flow shows the menu,
 * starts the verification, checks the answer and decides. */
#ifndef PHONEMFA_AUTH_FLOW_H
#define PHONEMFA_AUTH_FLOW_H

#include <stdbool.h>

#include "config.h"
#include "log.h"
#include "login_outcome.h"

enum prompt_style { PROMPT_ECHO_ON, PROMPT_ECHO_OFF };

struct prompter {
    void *context;
    /* Ask and wait for an answer (malloc'd, the flow wipes and frees it).
     * Returns -1 when the conversation failed or reached end of input. */
    int (*ask)(void *context, enum prompt_style style, const char *text, char **answer);
    /* Best effort: a final message the user should see. */
    void (*tell)(void *context, const char *text);
    /* Optional: true once the person at the other end is gone (their
     * program ended or stopped answering): the login is abandoned. */
    bool (*gone)(void *context);
};

struct http_pool;
struct phone_directory;

/* The user (and target) are looked up in NSS first and continue under
 * their canonical names; an unknown user is denied before anything is sent.
 * directory: where the phones come from (made from config). pool: the
 * daemon's shared keep-alive connections (NULL: a connection of this
 * login's own). */
enum login_outcome login_verify(const struct phonemfa_config *config, struct phone_directory *directory,
                                const struct login_request *request, const struct prompter *prompter,
                                struct http_pool *pool, const struct log_sink *log);

#endif
