#include "twilio_protocol.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_answer.h"
#include "verify_provider.h"

char *twilio_basic_authorization(const char *user, const char *secret)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char prefix[] = "Authorization: Basic ";
    size_t user_length = strlen(user), secret_length = strlen(secret);
    size_t plain_length = user_length + 1 + secret_length;
    unsigned char *plain = malloc(plain_length);
    char *header = malloc(sizeof prefix + (plain_length + 2) / 3 * 4);

    if (plain == NULL || header == NULL) {
        free(plain);
        free(header);
        return NULL;
    }
    memcpy(plain, user, user_length);
    plain[user_length] = ':';
    memcpy(plain + user_length + 1, secret, secret_length);
    memcpy(header, prefix, sizeof prefix - 1);
    char *out = header + sizeof prefix - 1;
    for (size_t i = 0; i < plain_length; i += 3) {
        unsigned value = (unsigned)plain[i] << 16;
        if (i + 1 < plain_length)
            value |= (unsigned)plain[i + 1] << 8;
        if (i + 2 < plain_length)
            value |= plain[i + 2];
        *out++ = alphabet[(value >> 18) & 63];
        *out++ = alphabet[(value >> 12) & 63];
        *out++ = i + 1 < plain_length ? alphabet[(value >> 6) & 63] : '=';
        *out++ = i + 2 < plain_length ? alphabet[value & 63] : '=';
    }
    *out = '\0';
    explicit_bzero(plain, plain_length);
    free(plain);
    return header;
}

bool twilio_sid_is_valid(const char *sid, const char *prefix)
{
    if (strnlen(sid, 35) != 34 || strncmp(sid, prefix, 2) != 0)
        return false;
    for (size_t i = 2; i < 34; i++) {
        char c = sid[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}


/* Twilio declares every field nullable: absent or null is fine where the
 * module does not need the value, a wrong type never is. */
static bool optional_string(const json_t *root, const char *key)
{
    const json_t *value = json_object_get(root, key);
    return value == NULL || json_is_null(value) || json_is_string(value);
}

int twilio_parse_verification(long status, long expected_status, long also_expected,
                              const char *content_type, const char *body, size_t length,
                              const char *expected_to, struct twilio_answer *answer,
                              struct verify_failure *failure)
{
    static const char *const statuses[] = {"pending", "approved", "canceled", "max_attempts_reached",
                                           "deleted", "failed", "expired"};
    int result = -1;

    if (status != expected_status && status != also_expected) {
        long code = 0;
        twilio_parse_error(status, content_type, body, length, &code, failure);
        return -1;
    }
    json_t *root = json_answer_object("Twilio", content_type, body, length, failure);
    if (root == NULL)
        return -1;
    const json_t *sid = json_object_get(root, "sid");
    const json_t *state = json_object_get(root, "status");
    const json_t *to = json_object_get(root, "to");
    const json_t *valid = json_object_get(root, "valid");
    if (!json_is_string(sid) || !twilio_sid_is_valid(json_string_value(sid), "VE")) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio answer has no valid verification sid");
        goto out;
    }
    if (!optional_string(root, "to") || !optional_string(root, "channel") ||
        (valid != NULL && !json_is_null(valid) && !json_is_boolean(valid))) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio answer has a field of the wrong type");
        goto out;
    }
    if (expected_to != NULL && json_is_string(to) && strcmp(json_string_value(to), expected_to) != 0) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio answered about another number");
        goto out;
    }
    bool known = false;
    for (size_t i = 0; json_is_string(state) && i < sizeof statuses / sizeof statuses[0]; i++) {
        if (strcmp(json_string_value(state), statuses[i]) == 0) {
            answer->status = (enum twilio_status)i;
            known = true;
        }
    }
    if (!known) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio answer has no known status");
        goto out;
    }
    /* An approval is believed only when both fields say so. */
    if ((answer->status == TWILIO_APPROVED) != json_is_true(valid)) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio answer contradicts itself: status %s with valid %s",
                    json_string_value(state), json_is_true(valid) ? "true" : "not true");
        goto out;
    }
    (void)snprintf(answer->sid, sizeof answer->sid, "%s", json_string_value(sid));
    result = 0;
out:
    json_decref(root);
    return result;
}

int twilio_parse_service(const char *content_type, const char *body, size_t length,
                         const char *service_sid, struct verify_failure *failure)
{
    json_t *root = json_answer_object("Twilio", content_type, body, length, failure);
    if (root == NULL)
        return -1;
    const json_t *sid = json_object_get(root, "sid");
    int result = json_is_string(sid) && strcmp(json_string_value(sid), service_sid) == 0
                     ? 0
                     : verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio answered about another service");
    json_decref(root);
    return result;
}

struct error_meaning {
    long code;
    enum verify_failure_kind kind;
    const char *advice;
};

/* What each code means for an administrator reading the log. */
static const struct error_meaning meanings[] = {
    {20003, VERIFY_AUTH_FAILED, "authentication failed: check twilio.api_key_sid (or account_sid) "
                                "and the secret in service.token_file"},
    {20404, VERIFY_REJECTED, "not found: check twilio.service_sid (or the verification is gone)"},
    {20429, VERIFY_SERVICE_BUSY, "too many requests to Twilio at once from the whole account (not this "
                                 "phone)"},
    {60200, VERIFY_INVALID_NUMBER, "invalid parameter (usually the number): fix the user's phone record"},
    {60006, VERIFY_INVALID_NUMBER, "the number cannot be reached (deactivated or not a real line)"},
    {60205, VERIFY_CHANNEL_UNAVAILABLE, "this landline cannot receive SMS: the user should choose a call"},
    {60223, VERIFY_REJECTED, "this channel is disabled in the Verify Service settings: enable it in "
                             "the Twilio console"},
    {60605, VERIFY_BLOCKED, "destination blocked by Verify Geo-Permissions: allow the country in the "
                            "Twilio console if it is expected"},
    {60410, VERIFY_CHANNEL_BLOCKED, "Fraud Guard blocked SMS to this number prefix (for 12 hours); the user "
                                    "is offered a call"},
    {60238, VERIFY_BLOCKED, "Twilio blocked verification creation (account under review or a "
                            "sanctioned destination): contact Twilio support"},
    {60202, VERIFY_RATE_LIMITED, "too many code checks: the number is locked until the verification "
                                 "expires (10 minutes)"},
    {60203, VERIFY_RATE_LIMITED, "too many sends to this number: it is locked for about 10 minutes"},
    {60212, VERIFY_RATE_LIMITED, "too many concurrent verifications for this number"},
};

void twilio_parse_error(long status, const char *content_type, const char *body, size_t length,
                        long *twilio_code, struct verify_failure *failure)
{
    *twilio_code = 0;
    if (status >= 500) {
        verify_fail(failure, VERIFY_UNAVAILABLE, "Twilio answered HTTP %ld", status);
        return;
    }
    if (status < 400) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "unexpected HTTP status %ld from Twilio", status);
        return;
    }
    struct verify_failure ignored;
    json_t *root = json_answer_object("Twilio", content_type, body, length, &ignored);
    const json_t *code = root ? json_object_get(root, "code") : NULL;
    if (!json_is_integer(code)) {
        json_decref(root);
        verify_fail(failure, status == 401 ? VERIFY_AUTH_FAILED : VERIFY_BAD_RESPONSE,
                    "Twilio answered HTTP %ld without an error code", status);
        return;
    }
    *twilio_code = (long)json_integer_value(code);
    json_decref(root);
    for (size_t i = 0; i < sizeof meanings / sizeof meanings[0]; i++) {
        if (meanings[i].code == *twilio_code) {
            verify_fail(failure, meanings[i].kind, "Twilio %ld (HTTP %ld): %s", *twilio_code, status,
                        meanings[i].advice);
            return;
        }
    }
    verify_fail(failure, status == 401 ? VERIFY_AUTH_FAILED : VERIFY_REJECTED,
                "Twilio %ld (HTTP %ld): see https://www.twilio.com/docs/errors/%ld", *twilio_code,
                status, *twilio_code);
}
