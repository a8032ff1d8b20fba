/* Talking to a verification service: start a verification (text or call),
 * check a code, follow a call that is approved by pressing #, cancel. The
 * client tries the configured service URLs in order while a server cannot be
 * reached, then stays with the server that started the verification. */
#ifndef PHONEMFA_VERIFY_CLIENT_H
#define PHONEMFA_VERIFY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "log.h"
#include "phone_number.h"

#define VERIFY_ID_MAX 64
#define VERIFY_CODE_MAX 16
/* A service URL, curl's whole diagnostic and the words around them. */
#define VERIFY_DETAIL_MAX 1536

enum verify_channel { VERIFY_CHANNEL_TEXT, VERIFY_CHANNEL_CALL };
enum verify_mode { VERIFY_MODE_CODE, VERIFY_MODE_CALL_APPROVAL };
enum verify_check_result {
    CHECK_APPROVED,
    CHECK_WRONG_CODE,
    CHECK_EXPIRED,
    CHECK_TOO_MANY_ATTEMPTS,
};
enum verify_call_status { CALL_PENDING, CALL_APPROVED, CALL_DENIED, CALL_EXPIRED };

enum verify_failure_kind {
    VERIFY_OK = 0,
    VERIFY_UNAVAILABLE,   /* unreachable, timed out, 5xx: the failmode decides */
    VERIFY_BAD_RESPONSE,  /* answered, but not in the protocol: the failmode decides */
    VERIFY_AUTH_FAILED,   /* our credentials were refused: an administrator must act */
    VERIFY_RATE_LIMITED,  /* too many sends or checks for this phone for now */
    VERIFY_SERVICE_BUSY,  /* too many requests from the whole account for now */
    VERIFY_INVALID_NUMBER,
    VERIFY_CHANNEL_UNAVAILABLE, /* e.g. a landline cannot take texts */
    VERIFY_CHANNEL_BLOCKED, /* this channel refused to this number for now (fraud
                             * protection): another channel may still work */
    VERIFY_BLOCKED,       /* destination refused by the service's policy */
    VERIFY_REJECTED,      /* any other refusal */
};

struct verify_failure {
    enum verify_failure_kind kind;
    char detail[VERIFY_DETAIL_MAX]; /* for the log: never holds a code or secret; sanitised */
    /* The request reached, or may have reached, the service (any answer,
     * or sent and then no answer): a text may be on its way. Only a start
     * that got no connection anywhere leaves it false. */
    bool request_sent;
};

struct verification {
    char id[VERIFY_ID_MAX + 1];
    enum verify_mode mode;
    size_t server; /* index into the configured URLs */
};

struct verify_start_request {
    const char *user;
    const struct phone_number *number;
    enum verify_channel channel;
    const char *locale; /* may be NULL */
};

struct verify_client;

struct http_pool;
/* pool: shared keep-alive connections (phonemfad), or NULL. */
struct verify_client *verify_client_new(const struct phonemfa_config *config, struct http_pool *pool,
                                        const struct log_sink *log);
void verify_client_free(struct verify_client *client);

int verify_start(struct verify_client *client, const struct verify_start_request *request,
                 struct verification *verification, struct verify_failure *failure);
int verify_check(struct verify_client *client, const struct verification *verification,
                 const char *code, enum verify_check_result *result, struct verify_failure *failure);
int verify_call_status(struct verify_client *client, const struct verification *verification,
                       enum verify_call_status *status, struct verify_failure *failure);
/* Best effort: a verification the user abandoned should not keep counting
 * against the service's limits. */
void verify_cancel(struct verify_client *client, const struct verification *verification);

/* Ask one configured server whether it is up and accepts our credentials,
 * without sending anything to a phone (phonemfa-setup check). */
int verify_service_status(struct verify_client *client, size_t server, struct verify_failure *failure);

/* A code as typed: 4 to 16 letters or digits (checked before any request). */
bool verify_code_is_well_formed(const char *code);

/* Removes the spaces and hyphens people type to group a code as it was
 * read out or shown ("123 456", "123-456"), in place. Nothing else is
 * changed: any other character still makes the code malformed. */
void verify_code_normalise(char *code);

bool verify_failure_uses_failmode(enum verify_failure_kind kind);
const char *verify_failure_name(enum verify_failure_kind kind);

#endif
