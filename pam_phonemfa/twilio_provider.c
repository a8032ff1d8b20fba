/* Twilio Verify over the generic client: Channel=sms for texts and
 * Channel=call for calls (Twilio reads the code out), checks by
 * VerificationSid, cancels abandoned verifications so they do not count
 * against Twilio's send limits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "twilio_protocol.h"
#include "url_encode.h"
#include "verify_provider.h"

/* 20429 means "not processed": retried at most this often, waiting what
 * Retry-After says but never longer than the cap. */
#define TOO_MANY_REQUESTS_RETRIES 2
#define RETRY_AFTER_CAP_SECONDS 5

static char *twilio_authorization(const struct phonemfa_config *config)
{
    const char *user = config->twilio_api_key_sid ? config->twilio_api_key_sid : config->twilio_account_sid;
    return twilio_basic_authorization(user, config->token);
}

static void wait_seconds(long seconds)
{
    struct timespec delay = {.tv_sec = seconds, .tv_nsec = 0};

    while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
        ;
}

/* Send, and repeat only on Twilio's 20429 (a request it says it did not
 * process). Transport failures are never repeated. When a 20429 is
 * finally answered, the log says what was done about it: the line of the
 * failure itself cannot know. */
static enum http_failure send_form(struct verify_client *client, size_t server, const char *path,
                                   const char *form, enum http_reuse reuse,
                                   struct http_response *response, struct verify_failure *failure)
{
    for (int attempt = 0;; attempt++) {
        enum http_failure transport = verify_send(client, "POST", server, path, TWILIO_FORM_TYPE, form,
                                                  reuse, response, failure);
        if (transport != HTTP_OK || response->status != 429)
            return transport;
        long code = 0;
        struct verify_failure ignored;
        twilio_parse_error(response->status, response->content_type, response->body,
                           response->length, &code, &ignored);
        if (code != TWILIO_TOO_MANY_REQUESTS)
            return transport;
        long wait = response->retry_after_seconds < 0 ? 1 : response->retry_after_seconds;
        if (attempt >= TOO_MANY_REQUESTS_RETRIES) {
            log_message(client->log, LOG_NOTICE, "Twilio 20429 too many requests: retried %d times, gave up",
                        attempt);
            return transport;
        }
        if (wait > RETRY_AFTER_CAP_SECONDS) {
            log_message(client->log, LOG_NOTICE,
                        "Twilio 20429 too many requests: not retried, Retry-After %ld s is over the %d s limit",
                        wait, RETRY_AFTER_CAP_SECONDS);
            return transport;
        }
        /* A retry must fit in what is left of the operation's time. */
        if (wait * 1000 >= verify_remaining_ms(client)) {
            log_message(client->log, LOG_NOTICE,
                        "Twilio 20429 too many requests: not retried, Retry-After %ld s is more than is left "
                        "of service.request_timeout", wait);
            return transport;
        }
        log_message(client->log, LOG_NOTICE, "Twilio 20429 too many requests: retrying in %ld s", wait);
        http_response_clear(response);
        wait_seconds(wait);
    }
}

static int service_path(const struct phonemfa_config *config, const char *suffix, char *out,
                        size_t out_size)
{
    int n = snprintf(out, out_size, "/v2/Services/%s%s", config->twilio_service_sid, suffix);
    return (n < 0 || (size_t)n >= out_size) ? -1 : 0;
}

static enum http_failure twilio_start(struct verify_client *client, size_t server,
                                      const struct verify_start_request *request,
                                      struct verification *verification,
                                      struct verify_failure *failure, int *result)
{
    char path[128];
    char form[TWILIO_FORM_MAX] = "";
    char digits[PHONE_EXTENSION_MAX + 8];
    struct http_response response;
    struct twilio_answer answer;
    bool call = request->channel == VERIFY_CHANNEL_CALL;

    *result = -1;
    /* Two "w" wait a second after the call is answered before dialling. */
    (void)snprintf(digits, sizeof digits, "ww%s", request->number->extension);
    if (service_path(client->config, "/Verifications", path, sizeof path) != 0 ||
        url_form_add(form, sizeof form, "To", request->number->e164) != 0 ||
        url_form_add(form, sizeof form, "Channel", call ? "call" : "sms") != 0 ||
        (request->locale && url_form_add(form, sizeof form, "Locale", request->locale) != 0) ||
        (call && request->number->extension[0] &&
         url_form_add(form, sizeof form, "SendDigits", digits) != 0)) {
        verify_fail(failure, VERIFY_REJECTED, "Twilio request too long");
        return HTTP_BROKEN;
    }
    enum http_failure transport = send_form(client, server, path, form, HTTP_NEVER_REPEAT, &response, failure);
    if (transport == HTTP_OK &&
        twilio_parse_verification(response.status, 201, 201, response.content_type, response.body,
                                  response.length, request->number->e164, &answer, failure) == 0) {
        if (answer.status == TWILIO_PENDING) {
            (void)snprintf(verification->id, sizeof verification->id, "%s", answer.sid);
            verification->mode = VERIFY_MODE_CODE;
            *result = 0;
        } else {
            verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio started a verification that is not pending");
        }
    }
    http_response_clear(&response);
    return transport;
}

static int twilio_check(struct verify_client *client, const struct verification *verification,
                        const char *code, enum verify_check_result *check,
                        struct verify_failure *failure)
{
    char path[128];
    char form[TWILIO_FORM_MAX] = "";
    struct http_response response;
    struct twilio_answer answer;
    int result = -1;

    if (strlen(code) > TWILIO_CODE_MAX) {
        *check = CHECK_WRONG_CODE; /* Twilio codes are 4 to 10 characters: no need to ask */
        return 0;
    }
    if (!twilio_sid_is_valid(verification->id, "VE") ||
        service_path(client->config, "/VerificationCheck", path, sizeof path) != 0 ||
        url_form_add(form, sizeof form, "VerificationSid", verification->id) != 0 ||
        url_form_add(form, sizeof form, "Code", code) != 0)
        return verify_fail(failure, VERIFY_REJECTED, "invalid check request");
    if (send_form(client, verification->server, path, form, HTTP_REUSE_CONNECTION, &response,
                  failure) != HTTP_OK)
        goto out;
    if (response.status == 404) {
        /* Approved, expired or out of attempts: Twilio deleted it and does
         * not say which. A new verification is the way on. */
        long twilio_code = 0;
        twilio_parse_error(response.status, response.content_type, response.body, response.length,
                           &twilio_code, failure);
        if (twilio_code == TWILIO_NOT_FOUND) {
            *check = CHECK_EXPIRED;
            result = 0;
        }
        goto out;
    }
    if (twilio_parse_verification(response.status, 200, 201, response.content_type, response.body,
                                  response.length, NULL, &answer, failure) != 0)
        goto out;
    if (strcmp(answer.sid, verification->id) != 0) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio answered about another verification");
        goto out;
    }
    switch (answer.status) {
    case TWILIO_APPROVED: *check = CHECK_APPROVED; break;
    case TWILIO_PENDING: *check = CHECK_WRONG_CODE; break; /* a wrong code is HTTP 200 "pending" */
    case TWILIO_MAX_ATTEMPTS_REACHED: *check = CHECK_TOO_MANY_ATTEMPTS; break;
    default: *check = CHECK_EXPIRED; break;
    }
    result = 0;
out:
    explicit_bzero(form, sizeof form);
    http_response_clear(&response);
    return result;
}

static int twilio_call_status(struct verify_client *client, const struct verification *verification,
                              enum verify_call_status *status, struct verify_failure *failure)
{
    (void)client;
    (void)verification;
    (void)status;
    return verify_fail(failure, VERIFY_BAD_RESPONSE, "Twilio does not verify calls by key press");
}

static void twilio_cancel(struct verify_client *client, const struct verification *verification)
{
    char path[128];
    char suffix[96];
    char form[64] = "";
    struct http_response response;
    struct verify_failure failure = {0};

    (void)snprintf(suffix, sizeof suffix, "/Verifications/%s", verification->id);
    if (!twilio_sid_is_valid(verification->id, "VE") ||
        service_path(client->config, suffix, path, sizeof path) != 0 ||
        url_form_add(form, sizeof form, "Status", "canceled") != 0)
        return;
    enum http_failure transport = send_form(client, verification->server, path, form,
                                            HTTP_REUSE_CONNECTION, &response, &failure);
    if (transport != HTTP_OK)
        log_message(client->log, LOG_NOTICE, "cancel of an abandoned verification failed: %s",
                    failure.detail);
    else if (response.status != 200 && response.status != 404)
        log_message(client->log, LOG_NOTICE,
                    "cancel of an abandoned verification answered HTTP %ld", response.status);
    http_response_clear(&response);
}

static int twilio_service_status(struct verify_client *client, size_t server,
                                 struct verify_failure *failure)
{
    char path[128];
    struct http_response response;
    int result = -1;

    if (service_path(client->config, "", path, sizeof path) != 0)
        return verify_fail(failure, VERIFY_REJECTED, "Twilio service SID too long");
    if (verify_send(client, "GET", server, path, NULL, NULL, HTTP_REUSE_CONNECTION, &response, failure) != HTTP_OK)
        goto out;
    if (response.status != 200) {
        long code = 0;
        twilio_parse_error(response.status, response.content_type, response.body, response.length, &code,
                           failure);
        goto out;
    }
    result = twilio_parse_service(response.content_type, response.body, response.length,
                                  client->config->twilio_service_sid, failure);
out:
    http_response_clear(&response);
    return result;
}

const struct verify_provider twilio_provider = {
    .authorization = twilio_authorization,
    .start = twilio_start,
    .check = twilio_check,
    .call_status = twilio_call_status,
    .cancel = twilio_cancel,
    .service_status = twilio_service_status,
};
