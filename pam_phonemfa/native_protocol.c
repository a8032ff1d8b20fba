#include "native_protocol.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_answer.h"
#include "verify_provider.h"

bool native_id_is_valid(const char *id)
{
    size_t length = strnlen(id, VERIFY_ID_MAX + 1);

    if (length == 0 || length > VERIFY_ID_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

char *native_start_body(const struct verify_start_request *request)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "user", request->user, "to",
                             request->number->e164, "channel",
                             request->channel == VERIFY_CHANNEL_TEXT ? "text" : "call");
    char *text = NULL;

    if (body == NULL)
        return NULL;
    if (request->number->extension[0] != '\0' &&
        json_object_set_new(body, "extension", json_string(request->number->extension)) != 0)
        goto out;
    if (request->locale != NULL && json_object_set_new(body, "locale", json_string(request->locale)) != 0)
        goto out;
    text = json_dumps(body, JSON_COMPACT);
out:
    json_decref(body);
    return text;
}

int native_check_body(const char *code, char *out, size_t out_size)
{
    if (!verify_code_is_well_formed(code))
        return -1;
    /* The code is letters and digits only, so it needs no JSON escaping, and
     * building it here keeps it out of allocator copies we cannot wipe. */
    int n = snprintf(out, out_size, "{\"code\":\"%s\"}", code);
    return (n < 0 || (size_t)n >= out_size) ? -1 : n;
}


/* The JSON object of an answer with the expected status; any other status
 * is read as an error answer. NULL with *failure set when it is neither. */
static json_t *load_answer(long status, long expected, const char *content_type, const char *body,
                           size_t length, struct verify_failure *failure)
{
    if (status != expected) {
        native_parse_error(status, content_type, body, length, failure);
        return NULL;
    }
    return json_answer_object("service", content_type, body, length, failure);
}

static int string_choice(const json_t *root, const char *key, const char *const *choices,
                         int *out, struct verify_failure *failure)
{
    const json_t *value = json_object_get(root, key);

    if (!json_is_string(value))
        return verify_fail(failure, VERIFY_BAD_RESPONSE, "response field '%s' missing or not a string", key);
    for (int i = 0; choices[i] != NULL; i++) {
        if (strcmp(json_string_value(value), choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return verify_fail(failure, VERIFY_BAD_RESPONSE, "response field '%s' has unknown value '%.40s'",
                       key, json_string_value(value));
}

int native_parse_start(long status, const char *content_type, const char *body, size_t length,
                       struct verification *verification, struct verify_failure *failure)
{
    static const char *const modes[] = {"code", "call_approval", NULL};
    int mode = 0;
    int result = -1;

    json_t *root = load_answer(status, 201, content_type, body, length, failure);
    if (root == NULL)
        return -1;
    const json_t *id = json_object_get(root, "id");
    if (!json_is_string(id) || !native_id_is_valid(json_string_value(id))) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "response field 'id' missing or not a valid id");
        goto out;
    }
    if (string_choice(root, "mode", modes, &mode, failure) != 0)
        goto out;
    const json_t *expires = json_object_get(root, "expires_in");
    if (expires != NULL && (!json_is_integer(expires) || json_integer_value(expires) < 0)) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "response field 'expires_in' is not a whole number");
        goto out;
    }
    (void)snprintf(verification->id, sizeof verification->id, "%s", json_string_value(id));
    verification->mode = (enum verify_mode)mode;
    result = 0;
out:
    json_decref(root);
    return result;
}

int native_parse_check(long status, const char *content_type, const char *body, size_t length,
                       enum verify_check_result *result, struct verify_failure *failure)
{
    static const char *const results[] = {"approved", "wrong_code", "expired", "too_many_attempts", NULL};
    int choice = 0;

    json_t *root = load_answer(status, 200, content_type, body, length, failure);
    if (root == NULL)
        return -1;
    int rc = string_choice(root, "status", results, &choice, failure);
    const json_t *left = json_object_get(root, "attempts_left");
    if (rc == 0 && left != NULL && (!json_is_integer(left) || json_integer_value(left) < 0))
        rc = verify_fail(failure, VERIFY_BAD_RESPONSE, "response field 'attempts_left' is not a whole number");
    json_decref(root);
    if (rc == 0)
        *result = (enum verify_check_result)choice;
    return rc;
}

int native_parse_status(long status, const char *content_type, const char *body, size_t length,
                        enum verify_call_status *call_status, struct verify_failure *failure)
{
    static const char *const statuses[] = {"pending", "approved", "denied", "expired", NULL};
    int choice = 0;

    json_t *root = load_answer(status, 200, content_type, body, length, failure);
    if (root == NULL)
        return -1;
    int rc = string_choice(root, "status", statuses, &choice, failure);
    json_decref(root);
    if (rc == 0)
        *call_status = (enum verify_call_status)choice;
    return rc;
}

int native_parse_service_status(long status, const char *content_type, const char *body, size_t length,
                                struct verify_failure *failure)
{
    static const char *const statuses[] = {"ok", NULL};
    int choice = 0;

    json_t *root = load_answer(status, 200, content_type, body, length, failure);
    if (root == NULL)
        return -1;
    int rc = string_choice(root, "status", statuses, &choice, failure);
    json_decref(root);
    return rc;
}


void native_parse_error(long status, const char *content_type, const char *body, size_t length,
                        struct verify_failure *failure)
{
    static const struct {
        const char *code;
        enum verify_failure_kind kind;
    } codes[] = {
        {"unauthorized", VERIFY_AUTH_FAILED},
        {"rate_limited", VERIFY_RATE_LIMITED},
        {"invalid_number", VERIFY_INVALID_NUMBER},
        {"channel_unavailable", VERIFY_CHANNEL_UNAVAILABLE},
        {"destination_blocked", VERIFY_BLOCKED},
        {"not_found", VERIFY_REJECTED},
        {"bad_request", VERIFY_REJECTED},
    };

    if (status >= 500) {
        verify_fail(failure, VERIFY_UNAVAILABLE, "service answered HTTP %ld", status);
        return;
    }
    if (status < 400) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "unexpected HTTP status %ld", status);
        return;
    }
    struct verify_failure parse_failure;
    json_t *root = json_answer_object("service", content_type, body, length, &parse_failure);
    const json_t *error = root ? json_object_get(root, "error") : NULL;
    const json_t *code = error ? json_object_get(error, "code") : NULL;
    const json_t *message = error ? json_object_get(error, "message") : NULL;
    enum verify_failure_kind kind = status == 401 || status == 403 ? VERIFY_AUTH_FAILED
                                    : status == 429                 ? VERIFY_RATE_LIMITED
                                                                    : VERIFY_REJECTED;
    if (json_is_string(code)) {
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
            if (strcmp(json_string_value(code), codes[i].code) == 0)
                kind = codes[i].kind;
    } else if (status != 401 && status != 403 && status != 429) {
        /* A 4xx without the protocol's error body is not our service talking. */
        kind = VERIFY_BAD_RESPONSE;
    }
    /* verify_fail() sanitises what the service said. */
    const char *code_text = json_is_string(code) ? json_string_value(code) : "";
    const char *message_text = json_is_string(message) ? json_string_value(message) : "";
    verify_fail(failure, kind, "service refused with HTTP %ld%s%.40s%s%.150s", status, code_text[0] ? " " : "",
                code_text, message_text[0] ? ": " : "", message_text);
    json_decref(root);
}
