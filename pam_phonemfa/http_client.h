/* One HTTPS session per login: a single curl handle so every request of the
 * login reuses the same connection; in phonemfad every login's session also
 * shares a pool of keep-alive connections (and TLS sessions), so a login on
 * a warm daemon makes no TLS handshake. HTTPS only, certificates and host names
 * always verified, no redirects, no proxy from the environment, bounded in
 * time and in response size. */
#ifndef PHONEMFA_HTTP_CLIENT_H
#define PHONEMFA_HTTP_CLIENT_H

#include <stddef.h>

#define HTTP_RESPONSE_MAX (64 * 1024)
/* curl's text for the code and its error buffer (CURL_ERROR_SIZE), whole. */
#define HTTP_DETAIL_MAX 512

/* Keep-alive connections for the sessions of many threads: a session takes
 * an idle curl handle (with its live connections) from the pool and gives it
 * back when it ends, so each handle serves one thread at a time. At most
 * max_idle kept; one idle for more than HTTP_POOL_IDLE_SECONDS is closed
 * (at the next take or give-back, or by http_pool_prune). */
#define HTTP_POOL_IDLE_SECONDS 30
struct http_pool;
struct http_pool *http_pool_new(unsigned max_idle);
void http_pool_free(struct http_pool *pool);
void http_pool_prune(struct http_pool *pool);
/* Connections opened (each a TLS handshake) since the pool was made. */
unsigned long http_pool_connections_opened(struct http_pool *pool);

struct http_options {
    struct http_pool *pool; /* NULL: this session's connection only */
    const char *ca_file; /* NULL: the system's trust store */
    long connect_timeout_ms;
    long request_timeout_ms;
};

enum http_failure {
    HTTP_OK = 0,
    HTTP_NOT_REACHED, /* nothing was sent (DNS, connect, TLS): another server may be tried */
    HTTP_TIMEOUT,     /* sent, no answer in time: the request may have been carried out */
    HTTP_TOO_LARGE,   /* the answer exceeded HTTP_RESPONSE_MAX */
    HTTP_BROKEN,      /* connection dropped or garbled after sending */
};

struct http_response {
    long status;
    char *body; /* NUL-terminated */
    size_t length;
    char content_type[96];
    long retry_after_seconds; /* -1 when absent */
};

struct http_session;

struct http_session *http_session_new(const struct http_options *options);
void http_session_free(struct http_session *session);

/* One operation (a start tried on every URL, a check, a poll, with any
 * retry) is bounded as a whole: requests from now on share this budget,
 * each also bounded by the configured timeouts. */
void http_session_begin_operation(struct http_session *session, long budget_ms);
/* What is left of the operation's budget, in milliseconds (0: none). */
long http_session_remaining_ms(const struct http_session *session);

enum http_reuse {
    HTTP_REUSE_CONNECTION,
    /* libcurl silently repeats a request whose reused connection turns out
     * to be dead (seen in tests for code checks). A request that must never
     * be repeated (placing a call, sending a text) is stopped before curl
     * sends it a second time and fails as "may have been sent": a phone
     * never rings twice. */
    HTTP_NEVER_REPEAT,
};

/* headers: NULL-terminated list of "Name: value" lines (secrets allowed:
 * they are wiped after use). body may be NULL (no body). */
enum http_failure http_request(struct http_session *session, const char *method, const char *url,
                               const char *const *headers, const char *body, size_t body_length,
                               enum http_reuse reuse, struct http_response *response,
                               char detail[HTTP_DETAIL_MAX]);

void http_response_clear(struct http_response *response);

#endif
