/* What Entra ID's token endpoint and Microsoft Graph answer, read without
 * trusting a byte of it: pure functions (fuzzed: tests/fuzz/
 * fuzz_entra_answers.c). */
#include "entra_answers.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_answer.h"
#include "log.h"

const char *const entra_phone_types[SLOT_COUNT] = {"mobile", "alternateMobile", "office"};

/* Graph's and the token endpoint's error bodies, for the log: code (or
 * error) and message (or error_description), sanitised (a number in them
 * is masked) and cut short; the token endpoint's first error code is added
 * after that, as a number the sanitiser would have hidden (7000215: a wrong
 * client secret). */
void entra_service_error(const struct http_response *response, char *out, size_t size)
{
    json_t *root = json_answer_content_type_ok(response->content_type)
                       ? json_loadb(response->body, response->length, JSON_REJECT_DUPLICATES, NULL)
                       : NULL;
    json_t *error = json_object_get(root, "error");
    const char *code = NULL, *message = NULL;

    if (json_is_object(error)) {
        code = json_string_value(json_object_get(error, "code"));
        message = json_string_value(json_object_get(error, "message"));
    } else {
        code = json_string_value(error);
        message = json_string_value(json_object_get(root, "error_description"));
    }
    int length = snprintf(out, size, "HTTP %ld%s%.60s%s%.200s", response->status, code ? " " : "",
                          code ? code : "", message ? ": " : "", message ? message : "");
    log_sanitize_service_text(out);
    json_t *first = json_array_get(json_object_get(root, "error_codes"), 0);
    if (json_is_integer(first) && length > 0 && (size_t)length < size)
        (void)snprintf(out + length, size - (size_t)length, " (error code %lld)",
                       (long long)json_integer_value(first));
    json_decref(root);
}

bool entra_is_no_such_user(const struct http_response *response)
{
    json_t *root = response->status == 404 && json_answer_content_type_ok(response->content_type)
                       ? json_loadb(response->body, response->length, JSON_REJECT_DUPLICATES, NULL)
                       : NULL;
    const char *code = json_string_value(json_object_get(json_object_get(root, "error"), "code"));
    bool no_such_user = code != NULL && (strcmp(code, "Request_ResourceNotFound") == 0 ||
                                         strcmp(code, "ResourceNotFound") == 0);
    json_decref(root);
    return no_such_user;
}

int entra_parse_token(const char *content_type, const char *body, size_t length, char **token,
                      long long *lifetime_s)
{
    json_t *root = json_answer_content_type_ok(content_type)
                       ? json_loadb(body, length, JSON_REJECT_DUPLICATES, NULL)
                       : NULL;
    const char *access = json_string_value(json_object_get(root, "access_token"));
    json_t *expires = json_object_get(root, "expires_in");
    long long lifetime = json_is_integer(expires) ? json_integer_value(expires) : -1;
    int result = -1;

    *token = NULL;
    /* It goes into a header line: printable, no spaces, bounded. */
    if (access != NULL && access[0] != '\0' && strlen(access) < ENTRA_TOKEN_MAX &&
        strspn(access, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") == strlen(access) &&
        lifetime > 0 && lifetime <= 86400) {
        *token = strdup(access);
        *lifetime_s = lifetime;
        result = *token != NULL ? 0 : -1;
    }
    json_decref(root);
    return result;
}

/* Graph shows some callers "+1 XXXXXXX117": such a number must never be
 * dialled. (A lowercase 'x' is Graph's extension mark.) */
static bool is_masked(const char *number)
{
    return strpbrk(number, "X*") != NULL;
}

int entra_parse_methods(const char *content_type, const char *body, size_t length, struct phone_record *record,
                        char ids[SLOT_COUNT][ENTRA_ID_MAX], unsigned *masked,
                        void (*skipped)(void *context, const char *type, const char *number, const char *why),
                        void *context)
{
    json_t *root = json_answer_content_type_ok(content_type)
                       ? json_loadb(body, length, JSON_REJECT_DUPLICATES, NULL)
                       : NULL;
    json_t *methods = json_object_get(root, "value");
    size_t index;
    json_t *method;

    memset(record, 0, sizeof *record);
    *masked = 0;
    if (!json_is_array(methods)) {
        json_decref(root);
        return -1;
    }
    json_array_foreach(methods, index, method) {
        const char *type = json_string_value(json_object_get(method, "phoneType"));
        const char *number = json_string_value(json_object_get(method, "phoneNumber"));
        const char *id = json_string_value(json_object_get(method, "id"));
        int slot = -1;
        for (int s = 0; type != NULL && s < SLOT_COUNT; s++)
            if (strcmp(type, entra_phone_types[s]) == 0)
                slot = s;
        if (slot < 0 || record->phones[slot].present)
            continue; /* another kind of method, or a second of a type Graph has one of */
        if (number == NULL || id == NULL) {
            /* Counted, not ignored: a user whose phones all came back like
             * this is not "not enrolled". */
            skipped(context, type, "", number == NULL ? "no phoneNumber" : "no id");
            continue;
        }
        struct phone_entry *phone = &record->phones[slot];
        const char *why = "its id is not a GUID";
        bool usable = strlen(id) < ENTRA_ID_MAX && id[0] != '\0' &&
                      strspn(id, "0123456789abcdefABCDEF-") == strlen(id);
        if (is_masked(number)) {
            why = "masked: the app may read only masked numbers";
            usable = false;
            ++*masked;
        }
        if (usable && strlen(number) > PHONE_INPUT_MAX) {
            why = "too long";
            usable = false;
        }
        if (usable) {
            enum phone_parse_error parsed = phone_parse(number, 0, &phone->number);
            usable = parsed == PHONE_OK;
            if (!usable)
                why = phone_parse_error_text(parsed);
        }
        if (!usable) {
            memset(phone, 0, sizeof *phone);
            skipped(context, type, number, why);
            continue;
        }
        phone->present = true;
        phone->channels = slot == SLOT_PRIMARY ? CHANNEL_TEXT | CHANNEL_CALL : CHANNEL_CALL;
        phone->verified_by = VERIFIED_NONE;
        (void)snprintf(ids[slot], ENTRA_ID_MAX, "%s", id);
    }
    json_decref(root);
    return 0;
}
