/* The project's own protocol over the generic client (see native_protocol.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "native_protocol.h"
#include "verify_provider.h"

#define JSON_TYPE "application/json"

static char *native_authorization(const struct phonemfa_config *config)
{
    size_t size = strlen(config->token) + sizeof "Authorization: Bearer ";
    char *header = malloc(size);

    if (header != NULL)
        (void)snprintf(header, size, "Authorization: Bearer %s", config->token);
    return header;
}

static enum http_failure native_start(struct verify_client *client, size_t server,
                                      const struct verify_start_request *request,
                                      struct verification *verification,
                                      struct verify_failure *failure, int *result)
{
    struct http_response response;
    char *body = native_start_body(request);

    *result = -1;
    if (body == NULL) {
        verify_fail(failure, VERIFY_UNAVAILABLE, "out of memory");
        return HTTP_BROKEN;
    }
    enum http_failure transport = verify_send(client, "POST", server, NATIVE_API_PREFIX, JSON_TYPE,
                                              body, HTTP_NEVER_REPEAT, &response, failure);
    if (transport == HTTP_OK)
        *result = native_parse_start(response.status, response.content_type, response.body,
                                     response.length, verification, failure);
    http_response_clear(&response);
    free(body);
    return transport;
}

static int verification_path(const struct verification *verification, const char *suffix,
                             char *out, size_t out_size)
{
    if (!native_id_is_valid(verification->id))
        return -1;
    int n = snprintf(out, out_size, "%s/%s%s", NATIVE_API_PREFIX, verification->id, suffix);
    return (n < 0 || (size_t)n >= out_size) ? -1 : 0;
}

static int native_check(struct verify_client *client, const struct verification *verification,
                        const char *code, enum verify_check_result *check,
                        struct verify_failure *failure)
{
    char path[128];
    char body[64];
    struct http_response response;
    int result = -1;

    if (verification_path(verification, "/check", path, sizeof path) != 0 ||
        native_check_body(code, body, sizeof body) < 0)
        return verify_fail(failure, VERIFY_REJECTED, "invalid check request");
    if (verify_send(client, "POST", verification->server, path, JSON_TYPE, body,
                    HTTP_REUSE_CONNECTION, &response, failure) == HTTP_OK)
        result = native_parse_check(response.status, response.content_type, response.body,
                                    response.length, check, failure);
    explicit_bzero(body, sizeof body);
    http_response_clear(&response);
    return result;
}

static int native_call_status(struct verify_client *client, const struct verification *verification,
                              enum verify_call_status *status, struct verify_failure *failure)
{
    char path[128];
    struct http_response response;
    int result = -1;

    if (verification_path(verification, "", path, sizeof path) != 0)
        return verify_fail(failure, VERIFY_REJECTED, "invalid verification id");
    if (verify_send(client, "GET", verification->server, path, NULL, NULL, HTTP_REUSE_CONNECTION,
                    &response, failure) == HTTP_OK)
        result = native_parse_status(response.status, response.content_type, response.body,
                                     response.length, status, failure);
    http_response_clear(&response);
    return result;
}

static void native_cancel(struct verify_client *client, const struct verification *verification)
{
    char path[128];
    struct http_response response;
    struct verify_failure failure = {0};

    if (verification_path(verification, "", path, sizeof path) != 0)
        return;
    enum http_failure transport = verify_send(client, "DELETE", verification->server, path, NULL,
                                              NULL, HTTP_REUSE_CONNECTION, &response, &failure);
    if (transport != HTTP_OK)
        log_message(client->log, LOG_NOTICE, "cancel of an abandoned verification failed: %s",
                    failure.detail);
    else if (response.status != 204 && response.status != 404)
        log_message(client->log, LOG_NOTICE,
                    "cancel of an abandoned verification answered HTTP %ld", response.status);
    http_response_clear(&response);
}

static int native_service_status(struct verify_client *client, size_t server,
                                 struct verify_failure *failure)
{
    struct http_response response;
    int result = -1;

    if (verify_send(client, "GET", server, "/v1/status", NULL, NULL, HTTP_REUSE_CONNECTION, &response,
                    failure) == HTTP_OK)
        result = native_parse_service_status(response.status, response.content_type, response.body,
                                             response.length, failure);
    http_response_clear(&response);
    return result;
}

const struct verify_provider native_provider = {
    .authorization = native_authorization,
    .start = native_start,
    .check = native_check,
    .call_status = native_call_status,
    .cancel = native_cancel,
    .service_status = native_service_status,
};
