#include "verify_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secure_mem.h"
#include "verify_provider.h"

#define URL_BUFFER_MAX 768

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

void verify_code_normalise(char *code)
{
    size_t kept = 0, i = 0;

    for (; code[i] != '\0'; i++)
        if (code[i] != ' ' && code[i] != '-')
            code[kept++] = code[i];
    /* Its owner wipes the code up to its new end only: the digits moved
     * out of the tail are wiped here. */
    explicit_bzero(code + kept, i - kept);
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
    case VERIFY_SERVICE_BUSY: return "service_busy";
    case VERIFY_INVALID_NUMBER: return "invalid_number";
    case VERIFY_CHANNEL_UNAVAILABLE: return "channel_unavailable";
    case VERIFY_CHANNEL_BLOCKED: return "channel_blocked";
    case VERIFY_BLOCKED: return "destination_blocked";
    case VERIFY_REJECTED: return "rejected";
    }
    return "unknown";
}

int verify_fail(struct verify_failure *failure, enum verify_failure_kind kind, const char *format, ...)
{
    va_list args;

    /* Sanitised whole, then bounded: a number cut short first would be too
     * short for the masking to recognise, and shown in part. */
    char whole[2 * VERIFY_DETAIL_MAX];

    failure->kind = kind;
    va_start(args, format);
    int written = vsnprintf(whole, sizeof whole, format, args);
    va_end(args);
    if (written < 0)
        whole[0] = '\0';
    /* Details quote what the service said: it reaches logs and terminals. */
    log_sanitize_service_text(whole);
    log_format(failure->detail, sizeof failure->detail, "%s", whole);
    return -1;
}

long verify_remaining_ms(const struct verify_client *client)
{
    return http_session_remaining_ms(client->http);
}

static void begin_operation(struct verify_client *client)
{
    http_session_begin_operation(client->http, client->config->request_timeout_ms);
}

struct verify_client *verify_client_new(const struct phonemfa_config *config, struct http_pool *pool,
                                        const struct log_sink *log)
{
    struct http_options options = {
        .pool = pool,
        .ca_file = config->ca_file,
        .connect_timeout_ms = config->connect_timeout_ms,
        .request_timeout_ms = config->request_timeout_ms,
    };
    struct verify_client *client = calloc(1, sizeof *client);

    if (client == NULL)
        return NULL;
    client->config = config;
    client->log = log;
    client->provider = config->provider == PROVIDER_TWILIO ? &twilio_provider : &native_provider;
    client->http = http_session_new(&options);
    client->authorization = client->provider->authorization(config);
    if (client->http == NULL || client->authorization == NULL) {
        verify_client_free(client);
        return NULL;
    }
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
    bool sent = http_failure != HTTP_NOT_REACHED;
    switch (http_failure) {
    case HTTP_TOO_LARGE:
        verify_fail(failure, VERIFY_BAD_RESPONSE, "%s: response larger than %d bytes", url, HTTP_RESPONSE_MAX);
        break;
    case HTTP_TIMEOUT:
        verify_fail(failure, VERIFY_UNAVAILABLE,
                    "%s: no answer in time after the request was sent (not repeated): %s", url, detail);
        break;
    default:
        verify_fail(failure, VERIFY_UNAVAILABLE, "%s: %s", url, detail);
        break;
    }
    failure->request_sent = sent;
}

enum http_failure verify_send(struct verify_client *client, const char *method, size_t server,
                              const char *path, const char *content_type, const char *body,
                              enum http_reuse reuse, struct http_response *response,
                              struct verify_failure *failure)
{
    char url[URL_BUFFER_MAX];
    char detail[HTTP_DETAIL_MAX];
    char content_type_header[96] = "";
    const char *headers[] = {client->authorization, "Accept: application/json",
                             content_type ? content_type_header : NULL, NULL};

    memset(response, 0, sizeof *response);
    if (content_type != NULL)
        (void)snprintf(content_type_header, sizeof content_type_header, "Content-Type: %s", content_type);
    int n = snprintf(url, sizeof url, "%s%s", client->config->urls[server], path);
    if (n < 0 || (size_t)n >= sizeof url) {
        verify_fail(failure, VERIFY_UNAVAILABLE, "service URL too long");
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

    memset(failure, 0, sizeof *failure);
    begin_operation(client);
    for (size_t server = 0; server < client->config->url_count; server++) {
        enum http_failure transport =
            client->provider->start(client, server, request, verification, failure, &result);
        if (transport == HTTP_NOT_REACHED) {
            /* Nothing was sent, so no text or call can be duplicated. */
            log_message(client->log, LOG_WARNING, "service unreachable: %s%s", failure->detail,
                        server + 1 < client->config->url_count ? "; trying the next URL" : "");
            continue;
        }
        if (transport != HTTP_OK)
            result = -1;
        /* Any answer, an error or a 5xx included, means the request reached
         * the service: it may have sent, and an outage a client can provoke
         * (overload until 503) must not open failmode safe. */
        if (transport == HTTP_OK && result != 0)
            failure->request_sent = true;
        if (result == 0) {
            verification->server = server;
            failure->kind = VERIFY_OK;
        }
        break;
    }
    return result;
}

int verify_check(struct verify_client *client, const struct verification *verification,
                 const char *code, enum verify_check_result *result, struct verify_failure *failure)
{
    memset(failure, 0, sizeof *failure);
    if (!verify_code_is_well_formed(code))
        return verify_fail(failure, VERIFY_REJECTED, "invalid check request");
    begin_operation(client);
    return client->provider->check(client, verification, code, result, failure);
}

int verify_call_status(struct verify_client *client, const struct verification *verification,
                       enum verify_call_status *status, struct verify_failure *failure)
{
    memset(failure, 0, sizeof *failure);
    begin_operation(client);
    return client->provider->call_status(client, verification, status, failure);
}

void verify_cancel(struct verify_client *client, const struct verification *verification)
{
    begin_operation(client);
    client->provider->cancel(client, verification);
}

int verify_service_status(struct verify_client *client, size_t server, struct verify_failure *failure)
{
    memset(failure, 0, sizeof *failure);
    if (server >= client->config->url_count)
        return verify_fail(failure, VERIFY_REJECTED, "no such service URL");
    begin_operation(client);
    return client->provider->service_status(client, server, failure);
}
