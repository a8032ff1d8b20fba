#include "http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

/* libcurl does not support one connection cache shared by threads at
 * once (CURLSHOPT_SHARE, "not supported ... between multiple concurrent
 * threads"): the pool keeps whole easy handles instead, each with its own
 * live connections, and lends each to one login at a time. */
struct idle_handle {
    CURL *curl;
    long returned_ms; /* monotonic */
};

struct http_pool {
    pthread_mutex_t lock;
    unsigned max_idle;
    unsigned idle_count;
    struct idle_handle *idle; /* max_idle of them; the newest last */
    atomic_ulong connections_opened;
};

static long monotonic_ms(void);

struct http_pool *http_pool_new(unsigned max_idle)
{
    struct http_pool *pool = calloc(1, sizeof *pool);

    if (pool == NULL)
        return NULL;
    pool->idle = calloc(max_idle > 0 ? max_idle : 1, sizeof *pool->idle);
    if (pool->idle == NULL || pthread_mutex_init(&pool->lock, NULL) != 0) {
        free(pool->idle);
        free(pool);
        return NULL;
    }
    /* Reference-counted like the sessions': the pool's handles outlive them. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        (void)pthread_mutex_destroy(&pool->lock);
        free(pool->idle);
        free(pool);
        return NULL;
    }
    pool->max_idle = max_idle;
    atomic_init(&pool->connections_opened, 0);
    return pool;
}

/* Handles idle longer than the bound are closed (their connections with
 * them); under the lock. */
static void prune_locked(struct http_pool *pool, long now)
{
    unsigned kept = 0;

    for (unsigned i = 0; i < pool->idle_count; i++) {
        if (now - pool->idle[i].returned_ms > HTTP_POOL_IDLE_SECONDS * 1000L)
            curl_easy_cleanup(pool->idle[i].curl);
        else
            pool->idle[kept++] = pool->idle[i];
    }
    pool->idle_count = kept;
}

void http_pool_prune(struct http_pool *pool)
{
    (void)pthread_mutex_lock(&pool->lock);
    prune_locked(pool, monotonic_ms());
    (void)pthread_mutex_unlock(&pool->lock);
}

void http_pool_free(struct http_pool *pool)
{
    if (pool == NULL)
        return;
    for (unsigned i = 0; i < pool->idle_count; i++)
        curl_easy_cleanup(pool->idle[i].curl);
    (void)pthread_mutex_destroy(&pool->lock);
    free(pool->idle);
    free(pool);
    curl_global_cleanup();
}

unsigned long http_pool_connections_opened(struct http_pool *pool)
{
    return atomic_load(&pool->connections_opened);
}

/* A handle of the pool's (the most recently used: its connection is the
 * likeliest alive), or a new one. */
static CURL *pool_take(struct http_pool *pool)
{
    CURL *curl = NULL;

    (void)pthread_mutex_lock(&pool->lock);
    prune_locked(pool, monotonic_ms());
    if (pool->idle_count > 0)
        curl = pool->idle[--pool->idle_count].curl;
    (void)pthread_mutex_unlock(&pool->lock);
    return curl != NULL ? curl : curl_easy_init();
}

/* Back to the pool with its connections (curl_easy_reset keeps them), or
 * closed when the pool is full. */
static void pool_give_back(struct http_pool *pool, CURL *curl)
{
    curl_easy_reset(curl);
    (void)pthread_mutex_lock(&pool->lock);
    if (pool->idle_count < pool->max_idle) {
        pool->idle[pool->idle_count++] = (struct idle_handle){.curl = curl, .returned_ms = monotonic_ms()};
        curl = NULL;
    }
    (void)pthread_mutex_unlock(&pool->lock);
    if (curl != NULL)
        curl_easy_cleanup(curl);
}

/* How often curl was about to send this request: a second time is curl
 * repeating it on a new connection after a reused one died. */
struct request_guard {
    enum http_reuse reuse;
    unsigned sends;
};

static int before_sending(void *user, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    struct request_guard *guard = user;
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (++guard->sends > 1 && guard->reuse == HTTP_NEVER_REPEAT)
        return CURL_PREREQFUNC_ABORT;
    return CURL_PREREQFUNC_OK;
}

struct http_session {
    CURL *curl;
    struct http_options options;
    bool global_initialised;
    long deadline_ms; /* monotonic; 0: no operation begun */
};

static long monotonic_ms(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return 0;
    return (long)now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

void http_session_begin_operation(struct http_session *session, long budget_ms)
{
    session->deadline_ms = monotonic_ms() + budget_ms;
}

long http_session_remaining_ms(const struct http_session *session)
{
    if (session->deadline_ms == 0)
        return session->options.request_timeout_ms;
    long remaining = session->deadline_ms - monotonic_ms();
    return remaining > 0 ? remaining : 0;
}

static long at_most(long value, long limit)
{
    return value < limit ? value : limit;
}

struct body_buffer {
    char *data;
    size_t length;
    size_t capacity;
    bool overflow;
};

struct http_session *http_session_new(const struct http_options *options)
{
    struct http_session *session = calloc(1, sizeof *session);

    if (session == NULL)
        return NULL;
    /* Reference-counted, and thread-safe since curl 7.84. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(session);
        return NULL;
    }
    session->global_initialised = true;
    session->options = *options;
    session->curl = options->pool != NULL ? pool_take(options->pool) : curl_easy_init();
    if (session->curl == NULL) {
        http_session_free(session);
        return NULL;
    }
    return session;
}

void http_session_free(struct http_session *session)
{
    if (session == NULL)
        return;
    if (session->curl != NULL && session->options.pool != NULL)
        pool_give_back(session->options.pool, session->curl);
    else if (session->curl != NULL)
        curl_easy_cleanup(session->curl);
    if (session->global_initialised)
        curl_global_cleanup();
    free(session);
}

void http_response_clear(struct http_response *response)
{
    if (response == NULL)
        return;
    if (response->body != NULL) {
        explicit_bzero(response->body, response->length);
        free(response->body);
    }
    memset(response, 0, sizeof *response);
    response->retry_after_seconds = -1;
}

static size_t collect_body(char *data, size_t size, size_t count, void *user)
{
    struct body_buffer *buffer = user;
    size_t length = size * count;

    if (length > HTTP_RESPONSE_MAX - buffer->length) {
        buffer->overflow = true;
        return 0; /* makes curl abort the transfer */
    }
    if (buffer->length + length + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 1024;
        while (capacity < buffer->length + length + 1)
            capacity *= 2;
        /* Not realloc: an answer may hold a secret (an access token), and
         * realloc would leave its first part behind in freed memory. */
        char *grown = malloc(capacity);
        if (grown == NULL)
            return 0;
        if (buffer->data != NULL) {
            memcpy(grown, buffer->data, buffer->length);
            explicit_bzero(buffer->data, buffer->capacity);
            free(buffer->data);
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, data, length);
    buffer->length += length;
    buffer->data[buffer->length] = '\0';
    return length;
}

static size_t collect_header(char *data, size_t size, size_t count, void *user)
{
    struct http_response *response = user;
    size_t length = size * count;
    static const char name[] = "retry-after:";

    if (length > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        char value[32];
        size_t value_length = length - (sizeof name - 1);
        if (value_length >= sizeof value)
            value_length = sizeof value - 1;
        memcpy(value, data + sizeof name - 1, value_length);
        value[value_length] = '\0';
        char *end = NULL;
        long seconds = strtol(value, &end, 10);
        if (end != value && seconds >= 0 && seconds <= 86400)
            response->retry_after_seconds = seconds;
    }
    return length;
}

static bool set_options(CURL *curl, const struct http_options *options, long remaining_ms,
                        char *error_buffer)
{
    return curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
           (options->ca_file == NULL ||
            curl_easy_setopt(curl, CURLOPT_CAINFO, options->ca_file) == CURLE_OK) &&
           /* An empty proxy overrides http_proxy/https_proxy from the environment. */
           curl_easy_setopt(curl, CURLOPT_PROXY, "") == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                            at_most(options->connect_timeout_ms, remaining_ms)) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                            at_most(options->request_timeout_ms, remaining_ms)) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_RESPONSE_MAX) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_USERAGENT, "pam_phonemfa/" PHONEMFA_VERSION) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer) == CURLE_OK &&
           curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN, (long)HTTP_POOL_IDLE_SECONDS) == CURLE_OK;
}

static bool set_method(CURL *curl, const char *method, const char *body, size_t body_length)
{
    if (strcmp(method, "GET") == 0)
        return curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, NULL) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    if (curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "") != CURLE_OK)
        return false;
    return curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
                            strcmp(method, "POST") == 0 ? NULL : method) == CURLE_OK;
}

static void wipe_header_list(struct curl_slist *list)
{
    for (struct curl_slist *item = list; item != NULL; item = item->next)
        explicit_bzero(item->data, strlen(item->data));
    curl_slist_free_all(list);
}

static enum http_failure classify(CURL *curl, CURLcode code, bool overflow, const struct request_guard *guard)
{
    curl_off_t pretransfer = 0;

    if (overflow || code == CURLE_FILESIZE_EXCEEDED)
        return HTTP_TOO_LARGE;
    if (guard->sends > 0)
        return code == CURLE_OPERATION_TIMEDOUT ? HTTP_TIMEOUT : HTTP_BROKEN;
    if (curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) != CURLE_OK)
        pretransfer = 1; /* unknown: assume the request went out */
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
        return HTTP_NOT_REACHED;
    case CURLE_OPERATION_TIMEDOUT:
        return pretransfer == 0 ? HTTP_NOT_REACHED : HTTP_TIMEOUT;
    default:
        return pretransfer == 0 ? HTTP_NOT_REACHED : HTTP_BROKEN;
    }
}

enum http_failure http_request(struct http_session *session, const char *method, const char *url,
                               const char *const *headers, const char *body, size_t body_length,
                               enum http_reuse reuse, struct http_response *response,
                               char detail[HTTP_DETAIL_MAX])
{
    char error_buffer[CURL_ERROR_SIZE] = "";
    struct body_buffer buffer = {0};
    struct curl_slist *header_list = NULL;
    enum http_failure failure = HTTP_BROKEN;
    CURL *curl = session->curl;
    struct request_guard guard = {.reuse = reuse, .sends = 0};

    memset(response, 0, sizeof *response);
    response->retry_after_seconds = -1;
    detail[0] = '\0';
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        struct curl_slist *appended = curl_slist_append(header_list, headers[i]);
        if (appended == NULL) {
            (void)snprintf(detail, HTTP_DETAIL_MAX, "out of memory");
            goto out;
        }
        header_list = appended;
    }
    /* "Expect: 100-continue" would add a round trip for nothing. */
    struct curl_slist *appended = curl_slist_append(header_list, "Expect:");
    if (appended == NULL) {
        (void)snprintf(detail, HTTP_DETAIL_MAX, "out of memory");
        goto out;
    }
    header_list = appended;

    long remaining_ms = http_session_remaining_ms(session);
    if (remaining_ms <= 0) {
        (void)snprintf(detail, HTTP_DETAIL_MAX, "not sent: the operation used up its time (request_timeout)");
        failure = HTTP_NOT_REACHED;
        goto out;
    }
    if (!set_options(curl, &session->options, remaining_ms, error_buffer) ||
        curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, before_sending) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_PREREQDATA, &guard) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buffer) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, response) != CURLE_OK ||
        !set_method(curl, method, body, body_length)) {
        (void)snprintf(detail, HTTP_DETAIL_MAX, "cannot set up the HTTPS request");
        goto out;
    }

    CURLcode code = curl_easy_perform(curl);
    long opened = 0;
    if (session->options.pool != NULL && curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &opened) == CURLE_OK &&
        opened > 0)
        atomic_fetch_add(&session->options.pool->connections_opened, (unsigned long)opened);
    /* Drop pointers to our stack and to secrets before anything else. */
    (void)curl_easy_setopt(curl, CURLOPT_PREREQDATA, NULL);
    (void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    (void)curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
    (void)curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    if (code != CURLE_OK) {
        failure = classify(curl, code, buffer.overflow, &guard);
        log_format(detail, HTTP_DETAIL_MAX, "%s%s%s", curl_easy_strerror(code), error_buffer[0] ? ": " : "",
                   error_buffer);
        goto out;
    }
    const char *content_type = NULL;
    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status) != CURLE_OK ||
        curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type) != CURLE_OK) {
        (void)snprintf(detail, HTTP_DETAIL_MAX, "cannot read the response status");
        goto out;
    }
    if (content_type != NULL)
        (void)snprintf(response->content_type, sizeof response->content_type, "%s", content_type);
    if (buffer.data == NULL) {
        buffer.data = calloc(1, 1);
        if (buffer.data == NULL) {
            (void)snprintf(detail, HTTP_DETAIL_MAX, "out of memory");
            goto out;
        }
    }
    response->body = buffer.data;
    response->length = buffer.length;
    buffer.data = NULL;
    failure = HTTP_OK;
out:
    (void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    (void)curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    wipe_header_list(header_list);
    if (buffer.data != NULL) {
        explicit_bzero(buffer.data, buffer.capacity);
        free(buffer.data);
    }
    return failure;
}
