/* Twilio Verify v2, as its API behaves (shared/specs/twilio_verify_api.md):
 * form-encoded requests with Basic auth, JSON answers whose fields may all be
 * null, and Twilio's error body {code, message, more_info, status}. Request
 * building and answer parsing are kept apart from the transport. */
#ifndef PHONEMFA_TWILIO_PROTOCOL_H
#define PHONEMFA_TWILIO_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "verify_client.h"

#define TWILIO_FORM_TYPE "application/x-www-form-urlencoded"
#define TWILIO_FORM_MAX 512
#define TWILIO_CODE_MAX 10

enum twilio_status {
    TWILIO_PENDING,
    TWILIO_APPROVED,
    TWILIO_CANCELED,
    TWILIO_MAX_ATTEMPTS_REACHED,
    TWILIO_DELETED,
    TWILIO_FAILED,
    TWILIO_EXPIRED,
};

/* Twilio error codes the module acts on. */
enum {
    TWILIO_AUTHENTICATE = 20003,
    TWILIO_NOT_FOUND = 20404,
    TWILIO_TOO_MANY_REQUESTS = 20429,
    TWILIO_MAX_CHECKS = 60202,
};

struct twilio_answer {
    char sid[VERIFY_ID_MAX + 1];
    enum twilio_status status;
};

/* "Authorization: Basic base64(user:secret)" (caller wipes and frees). */
char *twilio_basic_authorization(const char *user, const char *secret);

bool twilio_sid_is_valid(const char *sid, const char *prefix);

/* A verification resource answer with one of the expected statuses.
 * expected_to: the number the answer must be about (NULL: not checked). */
int twilio_parse_verification(long status, long expected_status, long also_expected,
                              const char *content_type, const char *body, size_t length,
                              const char *expected_to, struct twilio_answer *answer,
                              struct verify_failure *failure);

/* A FetchService answer: the Verify Service the configuration names. */
int twilio_parse_service(const char *content_type, const char *body, size_t length,
                         const char *service_sid, struct verify_failure *failure);

/* Any other answer: maps Twilio's error code to a failure whose detail
 * tells an administrator what to do. *twilio_code is 0 when absent. */
void twilio_parse_error(long status, const char *content_type, const char *body, size_t length,
                        long *twilio_code, struct verify_failure *failure);

#endif
