#include "verify_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "native_protocol.h"
#include "secure_mem.h"

#define URL_BUFFER_MAX 768

struct verify_client {
    const struct phonemfa_config *config;
    const struct log_sink *log;
    struct http_session *http;
    char *authorization; /* "Authorization: Bearer ...": a secret */
};

bool verify_code_is_well_formed(const char *code)
{
    size_t length = strnlen(code, VERIFY_CODE_MAX + 1);

    if (length < 4 || length > VERIFY_CODE_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = code[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

bool verify_failure_uses_failmode(enum verify_failure_kind kind)
{
    return kind == VERIFY_UNAVAILABLE || kind == VERIFY_BAD_RESPONSE;
}

const char *verify_failure_name(enum verify_failure_kind kind)
{
    switch (kind) {
    case VERIFY_OK: return "ok";
    case VERIFY_UNAVAILABLE: return "service_unavailable";
    case VERIFY_BAD_RESPONSE: return "bad_response";
    case VERIFY_AUTH_FAILED: return "service_auth_failed";
    case VERIFY_RATE_LIMITED: return "rate_limited";
    case VERIFY_INVALID_NUMBER: return "invalid_number";
    case VERIFY_CHANNEL_UNAVAILABLE: return "channel_unavailable";
    case VERIFY_BLOCKED: return "destination_blocked";
    case VERIFY_REJECTED: return "rejected";
    }
    return "unknown";
}

struct verify_client *verify_client_new(const struct phonemfa_config *config,
                                        const struct log_sink *log)
{
    struct http_options options = {
        .ca_file = config->ca_file,
        .connect_timeout_ms = config->connect_timeout_ms,
        .request_timeout_ms = config->request_timeout_ms,
    };
    struct verify_client *client = calloc(1, sizeof *client);

    if (client == NULL)
        return NULL;
    client->config = config;
    client->log = log;
    client->http = http_session_new(&options);
    size_t size = strlen(config->token) + sizeof "Authorization: Bearer ";
    client->authorization = malloc(size);
    if (client->http == NULL || client->authorization == NULL) {
        verify_client_free(client);
        return NULL;
    }
    (void)snprintf(client->authorization, size, "Authorization: Bearer %s", config->token);
    return client;
}

void verify_client_free(struct verify_client *client)
{
    if (client == NULL)
        return;
    http_session_free(client->http);
    secure_free_string(client->authorization);
    free(client);
}

static void transport_failure(enum http_failure http_failure, const char *url, const char *detail,
                              struct verify_failure *failure)
{
    switch (http_failure) {
    case HTTP_TOO_LARGE:
        failure->kind = VERIFY_BAD_RESPONSE;
        (void)snprintf(failure->detail, sizeof failure->detail,
                       "%.200s: response larger than %d bytes", url, HTTP_RESPONSE_MAX);
        return;
    case HTTP_TIMEOUT:
        failure->kind = VERIFY_UNAVAILABLE;
        (void)snprintf(failure->detail, sizeof failure->detail,
                       "%.150s: no answer in time after the request was sent (not repeated): %.80s",
                       url, detail);
        return;
    default:
        failure->kind = VERIFY_UNAVAILABLE;
        (void)snprintf(failure->detail, sizeof failure->detail, "%.200s: %.100s", url, detail);
        return;
    }
}

/* One request to one server. Returns the transport result; on HTTP_OK the
 * response is filled in. */
static enum http_failure send_request(struct verify_client *client, const char *method, size_t server,
                                      const char *path, const char *body, enum http_reuse reuse,
                                      struct http_response *response, struct verify_failure *failure)
{
    char url[URL_BUFFER_MAX];
    char detail[HTTP_DETAIL_MAX];
    const char *headers[] = {client->authorization, "Accept: application/json",
                             body ? "Content-Type: application/json" : NULL, NULL};

    memset(response, 0, sizeof *response);
    int n = snprintf(url, sizeof url, "%s%s", client->config->urls[server], path);
    if (n < 0 || (size_t)n >= sizeof url) {
        failure->kind = VERIFY_UNAVAILABLE;
        (void)snprintf(failure->detail, sizeof failure->detail, "service URL too long");
        return HTTP_BROKEN;
    }
    enum http_failure result = http_request(client->http, method, url, headers, body,
                                            body ? strlen(body) : 0, reuse, response, detail);
    if (result != HTTP_OK)
        transport_failure(result, url, detail, failure);
    return result;
}

int verify_start(struct verify_client *client, const struct verify_start_request *request,
                 struct verification *verification, struct verify_failure *failure)
{
    int result = -1;
    char *body = native_start_body(request);

    memset(failure, 0, sizeof *failure);
    if (body == NULL) {
        failure->kind = VERIFY_UNAVAILABLE;
        (void)snprintf(failure->detail, sizeof failure->detail, "out of memory");
        return -1;
    }
    for (size_t server = 0; server < client->config->url_count; server++) {
        struct http_response response;
        enum http_failure transport =
            send_request(client, "POST", server, NATIVE_API_PREFIX, body, HTTP_NEVER_REPEAT,
                         &response, failure);
        if (transport == HTTP_NOT_REACHED) {
            /* Nothing was sent, so no text or call can be duplicated. */
            log_message(client->log, LOG_WARNING, "service unreachable: %s%s", failure->detail,
                        server + 1 < client->config->url_count ? "; trying the next URL" : "");
            continue;
        }
        if (transport == HTTP_OK) {
            result = native_parse_start(response.status, response.content_type, response.body,
                                        response.length, verification, failure);
            if (result == 0) {
                verification->server = server;
                failure->kind = VERIFY_OK;
            }
        }
        http_response_clear(&response);
        break;
    }
    free(body);
    return result;
}

static int verification_path(const struct verification *verification, const char *suffix,
                             char *out, size_t out_size)
{
    if (!native_id_is_valid(verification->id))
        return -1;
    int n = snprintf(out, out_size, "%s/%s%s", NATIVE_API_PREFIX, verification->id, suffix);
    return (n < 0 || (size_t)n >= out_size) ? -1 : 0;
}

int verify_check(struct verify_client *client, const struct verification *verification,
                 const char *code, enum verify_check_result *check, struct verify_failure *failure)
{
    char path[128];
    char body[64];
    struct http_response response;
    int result = -1;

    memset(failure, 0, sizeof *failure);
    if (verification_path(verification, "/check", path, sizeof path) != 0 ||
        native_check_body(code, body, sizeof body) < 0) {
        failure->kind = VERIFY_REJECTED;
        (void)snprintf(failure->detail, sizeof failure->detail, "invalid check request");
        return -1;
    }
    if (send_request(client, "POST", verification->server, path, body, HTTP_REUSE_CONNECTION,
                     &response, failure) == HTTP_OK)
        result = native_parse_check(response.status, response.content_type, response.body,
                                    response.length, check, failure);
    explicit_bzero(body, sizeof body);
    http_response_clear(&response);
    return result;
}

int verify_call_status(struct verify_client *client, const struct verification *verification,
                       enum verify_call_status *status, struct verify_failure *failure)
{
    char path[128];
    struct http_response response;
    int result = -1;

    memset(failure, 0, sizeof *failure);
    if (verification_path(verification, "", path, sizeof path) != 0) {
        failure->kind = VERIFY_REJECTED;
        (void)snprintf(failure->detail, sizeof failure->detail, "invalid verification id");
        return -1;
    }
    if (send_request(client, "GET", verification->server, path, NULL, HTTP_REUSE_CONNECTION,
                     &response, failure) == HTTP_OK)
        result = native_parse_status(response.status, response.content_type, response.body,
                                     response.length, status, failure);
    http_response_clear(&response);
    return result;
}

void verify_cancel(struct verify_client *client, const struct verification *verification)
{
    char path[128];
    struct http_response response;
    struct verify_failure failure = {0};

    if (verification_path(verification, "", path, sizeof path) != 0)
        return;
    enum http_failure transport =
        send_request(client, "DELETE", verification->server, path, NULL, HTTP_REUSE_CONNECTION,
                     &response, &failure);
    if (transport != HTTP_OK)
        log_message(client->log, LOG_NOTICE, "cancel of an abandoned verification failed: %s",
                    failure.detail);
    else if (response.status != 204 && response.status != 404)
        log_message(client->log, LOG_NOTICE,
                    "cancel of an abandoned verification answered HTTP %ld", response.status);
    http_response_clear(&response);
}
