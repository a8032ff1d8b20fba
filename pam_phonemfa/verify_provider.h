/* The contract between the generic verification client (transport,
 * failover, credentials) and each provider's protocol. Internal to the
 * core library. */
#ifndef PHONEMFA_VERIFY_PROVIDER_H
#define PHONEMFA_VERIFY_PROVIDER_H

#include "http_client.h"
#include "verify_client.h"

struct verify_client {
    const struct phonemfa_config *config;
    const struct log_sink *log;
    struct http_session *http;
    const struct verify_provider *provider;
    char *authorization; /* the whole "Authorization: ..." header line: a secret */
};

/* One HTTPS request to server `server` (an index into service.urls). On a
 * transport failure *failure says what happened. */
enum http_failure verify_send(struct verify_client *client, const char *method, size_t server,
                              const char *path, const char *content_type, const char *body,
                              enum http_reuse reuse, struct http_response *response,
                              struct verify_failure *failure);

/* What is left of the current operation's time (retries must fit in it). */
long verify_remaining_ms(const struct verify_client *client);

int verify_fail(struct verify_failure *failure, enum verify_failure_kind kind, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

struct verify_provider {
    /* The Authorization header line for this provider (caller wipes it). */
    char *(*authorization)(const struct phonemfa_config *config);
    /* One attempt to start a verification on one server: the transport
     * result; when it is HTTP_OK, *result is 0 (started) or -1 (refused). */
    enum http_failure (*start)(struct verify_client *client, size_t server,
                               const struct verify_start_request *request,
                               struct verification *verification, struct verify_failure *failure,
                               int *result);
    int (*check)(struct verify_client *client, const struct verification *verification,
                 const char *code, enum verify_check_result *result, struct verify_failure *failure);
    int (*call_status)(struct verify_client *client, const struct verification *verification,
                       enum verify_call_status *status, struct verify_failure *failure);
    void (*cancel)(struct verify_client *client, const struct verification *verification);
    /* Reachable, and our credentials accepted, on this server (sends nothing). */
    int (*service_status)(struct verify_client *client, size_t server, struct verify_failure *failure);
};

extern const struct verify_provider native_provider;
extern const struct verify_provider twilio_provider;

#endif
