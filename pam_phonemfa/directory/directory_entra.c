/* Phones from Microsoft Entra ID: the authentication phone methods of a
 * user in Microsoft Graph v1.0 (GET /users/{upn}/authentication/
 * phoneMethods), read with an app-only token (OAuth 2.0 client credentials)
 * that is kept until shortly before it expires and fetched again once when
 * Graph says it is no longer good. mobile is the primary phone (texts and
 * calls), alternateMobile the alternate and office the office phone (calls;
 * the extension after 'x'). phonemfa-setup adds, changes and removes the
 * alternate and office phones (entra.write). Contract:
 * shared/specs/microsoft_graph_phone_methods.md. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "directory_backend.h"
#include "entra_answers.h"
#include "entra_assertion.h"
#include "http_client.h"
#include "secure_mem.h"
#include "url_encode.h"
#include "user_name.h"
#include "wire.h"

#define URL_MAX 1024
_Static_assert(ENTRA_ID_MAX == DIRECTORY_RAW_MAX, "a phone method's id is kept in the entry's raw value");
#define FORM_MAX 8192 /* room for a client assertion */
#define GRAPH_SCOPE "https://graph.microsoft.com/.default"
/* A throttled request is tried once more only if Graph asks for a short
 * wait: a login is not held longer than this for it. */
#define RETRY_AFTER_MAX_S 2
/* A token is renewed this long before Graph would refuse it. */
#define TOKEN_MARGIN_S 300
#define FETCH_BACKOFF_MS 5000


struct entra_backend {
    const struct phonemfa_config *config;
    const struct entra_settings *settings;
    struct http_pool *pool;
    const struct log_sink *log;
    pthread_mutex_t lock;  /* over the token: one thread fetches, the others wait for it */
    char *token;           /* secret; NULL until fetched */
    long token_valid_until_ms;
    unsigned long token_generation; /* how many tokens fetched so far */
    /* After a fetch that got no answer, the logins waiting for the lock do
     * not each wait out the timeout again: for this long they are told the
     * endpoint is unavailable at once. */
    long fetch_failed_until_ms;
    char fetch_failure[DIRECTORY_ERROR_MAX];
};

static struct http_session *open_session(const struct entra_backend *backend)
{
    struct http_options options = {
        .pool = backend->pool,
        .ca_file = backend->settings->ca_file,
        .connect_timeout_ms = backend->config->connect_timeout_ms,
        .request_timeout_ms = backend->settings->timeout_ms,
    };
    struct http_session *session = http_session_new(&options);
    if (session != NULL)
        http_session_begin_operation(session, 3 * backend->settings->timeout_ms);
    return session;
}

static enum directory_result transport_failed(enum http_failure failure, const char *what, const char *detail,
                                              struct directory_error *error)
{
    directory_fail(error, "%s: %s", what,
                   failure == HTTP_TOO_LARGE ? "the answer is too large" : detail[0] ? detail : "no answer");
    return failure == HTTP_TOO_LARGE ? DIRECTORY_FAILED : DIRECTORY_UNAVAILABLE;
}

/* The client-credentials grant. Under backend->lock. */
static enum directory_result fetch_token(struct entra_backend *backend, struct http_session *session,
                                         struct directory_error *error)
{
    const struct entra_settings *settings = backend->settings;
    char url[URL_MAX], form[FORM_MAX] = "", detail[HTTP_DETAIL_MAX] = "";
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
    struct http_response response = {0};
    enum directory_result result = DIRECTORY_FAILED;

    char *assertion = NULL, problem[160] = "";
    bool fits = snprintf(url, sizeof url, "%s/%s/oauth2/v2.0/token", settings->authority_url, settings->tenant) <
                (int)sizeof url;
    if (fits && settings->client_key_pem != NULL) {
        /* The certificate credential: a signed assertion whose audience is
         * this very token URL, in place of a secret. */
        assertion = entra_client_assertion(settings, url, time(NULL), problem, sizeof problem);
        fits = assertion != NULL &&
               url_form_add(form, sizeof form, "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") == 0 &&
               url_form_add(form, sizeof form, "client_assertion", assertion) == 0;
        secure_free_string(assertion);
    } else if (fits) {
        fits = url_form_add(form, sizeof form, "client_secret", settings->client_secret) == 0;
    }
    if (!fits || url_form_add(form, sizeof form, "client_id", settings->client_id) != 0 ||
        url_form_add(form, sizeof form, "scope", GRAPH_SCOPE) != 0 ||
        url_form_add(form, sizeof form, "grant_type", "client_credentials") != 0) {
        explicit_bzero(form, sizeof form);
        directory_fail(error, "the token request cannot be made: %s", problem[0] ? problem : "it does not fit");
        return DIRECTORY_FAILED;
    }
    enum http_failure sent =
        http_request(session, "POST", url, headers, form, strlen(form), HTTP_REUSE_CONNECTION, &response, detail);
    explicit_bzero(form, sizeof form);
    if (sent != HTTP_OK)
        return transport_failed(sent, "Entra ID token endpoint", detail, error);
    char *token = NULL;
    long long lifetime = 0;
    if (response.status == 200 &&
        entra_parse_token(response.content_type, response.body, response.length, &token, &lifetime) == 0) {
        secure_free_string(backend->token);
        backend->token = token;
        long margin = lifetime > 2 * TOKEN_MARGIN_S ? TOKEN_MARGIN_S : (long)lifetime / 2;
        backend->token_valid_until_ms = wire_now_ms() + ((long)lifetime - margin) * 1000;
        backend->token_generation++;
        result = DIRECTORY_FOUND;
    } else if (response.status == 429 || response.status >= 500) {
        char why[320];
        entra_service_error(&response, why, sizeof why);
        directory_fail(error, "Entra ID token endpoint: %s", why);
        result = DIRECTORY_FAILED; /* it answered: not an outage (see answer_failed) */
    } else {
        char why[320];
        entra_service_error(&response, why, sizeof why);
        directory_fail(error, "Entra ID refused the app's credentials (entra.tenant, entra.client_id, "
                              "entra.client_secret_file): %s", response.status == 200 ? "a token answer without a "
                              "usable access_token and expires_in" : why);
    }
    if (response.body != NULL)
        explicit_bzero(response.body, response.length);
    http_response_clear(&response);
    return result;
}

/* "Authorization: Bearer ..." into out (wiped by the caller): the kept
 * token, or a new one when it is about to expire or `renew` says Graph
 * refused it. */
static enum directory_result authorization(struct entra_backend *backend, struct http_session *session,
                                           unsigned long *generation, bool renew, char *out, size_t size,
                                           struct directory_error *error)
{
    enum directory_result result = DIRECTORY_FOUND;

    (void)pthread_mutex_lock(&backend->lock);
    long now = wire_now_ms();
    /* Refused: renewed only if no other login has renewed it meanwhile. */
    renew = renew && *generation == backend->token_generation;
    bool needed = renew || backend->token == NULL || now >= backend->token_valid_until_ms;
    if (needed && now < backend->fetch_failed_until_ms) {
        directory_fail(error, "%s (a moment ago; not asked again yet)", backend->fetch_failure);
        result = DIRECTORY_UNAVAILABLE;
    } else if (needed) {
        result = fetch_token(backend, session, error);
        if (result == DIRECTORY_UNAVAILABLE) {
            backend->fetch_failed_until_ms = wire_now_ms() + FETCH_BACKOFF_MS;
            (void)snprintf(backend->fetch_failure, sizeof backend->fetch_failure, "%s", error->message);
        }
    }
    *generation = backend->token_generation;
    if (result == DIRECTORY_FOUND && snprintf(out, size, "Authorization: Bearer %s", backend->token) >= (int)size) {
        directory_fail(error, "the access token is too long");
        result = DIRECTORY_FAILED;
    }
    (void)pthread_mutex_unlock(&backend->lock);
    return result;
}

static void pause_seconds(long seconds)
{
    struct timespec delay = {.tv_sec = seconds, .tv_nsec = 0};
    while (nanosleep(&delay, &delay) != 0)
        ;
}

/* One Graph request with its token; a refused token is renewed once, a
 * short Retry-After is waited out once. DIRECTORY_FOUND: an answer came
 * (response->status says which). */
static enum directory_result graph(struct entra_backend *backend, struct http_session *session, const char *method,
                                   const char *path, const char *body, struct http_response *response,
                                   struct directory_error *error)
{
    char url[URL_MAX], detail[HTTP_DETAIL_MAX] = "", bearer[ENTRA_TOKEN_MAX + 32];
    bool renewed = false, waited = false;
    unsigned long generation = 0;
    enum directory_result result = DIRECTORY_FAILED;

    if (snprintf(url, sizeof url, "%s/v1.0%s", backend->settings->graph_url, path) >= (int)sizeof url) {
        directory_fail(error, "the Graph URL does not fit");
        return DIRECTORY_FAILED;
    }
    for (;;) {
        result = authorization(backend, session, &generation, renewed, bearer, sizeof bearer, error);
        if (result != DIRECTORY_FOUND)
            break;
        const char *headers[] = {bearer, "Accept: application/json", body ? "Content-Type: application/json" : NULL,
                                 NULL};
        memset(response, 0, sizeof *response);
        enum http_failure sent = http_request(session, method, url, headers, body, body ? strlen(body) : 0,
                                              strcmp(method, "POST") == 0 ? HTTP_NEVER_REPEAT : HTTP_REUSE_CONNECTION,
                                              response, detail);
        if (sent != HTTP_OK) {
            result = transport_failed(sent, "Microsoft Graph", detail, error);
            break;
        }
        if (response->status == 401 && !renewed) {
            renewed = true;
            http_response_clear(response);
            continue;
        }
        bool throttled = response->status == 429 || response->status == 503 || response->status == 504;
        if (throttled && !waited && response->retry_after_seconds >= 0 &&
            response->retry_after_seconds <= RETRY_AFTER_MAX_S &&
            http_session_remaining_ms(session) > (response->retry_after_seconds + 1) * 1000) {
            waited = true;
            pause_seconds(response->retry_after_seconds);
            http_response_clear(response);
            continue;
        }
        break;
    }
    explicit_bzero(bearer, sizeof bearer);
    return result;
}

/* The phone methods path of a principal name, and rest after it. */
static bool methods_path(const char *principal, const char *rest, char *path, size_t path_size)
{
    char encoded[3 * USER_NAME_MAX + 1];

    return url_encode_segment(principal, encoded, sizeof encoded) == 0 &&
           snprintf(path, path_size, "/users/%s/authentication/phoneMethods%s", encoded, rest) < (int)path_size;
}

/* The user principal name of a user (entra.user), checked like a user
 * name: it goes into a URL. */
static bool principal_of(const struct entra_backend *backend, const char *user, char *principal, size_t size)
{
    return directory_expand(backend->settings->user_template, user, NULL, principal, size) &&
           user_name_is_valid(principal);
}

static enum directory_result answer_failed(const struct http_response *response, const char *what,
                                           const char *permission, struct directory_error *error)
{
    char why[320];

    entra_service_error(response, why, sizeof why);
    if (response->status == 403)
        directory_fail(error, "%s: %s (the app registration needs the application permission %s, with admin "
                              "consent)", what, why, permission);
    else
        directory_fail(error, "%s: %s", what, why);
    /* Graph answered: even 429 and 5xx, which logins anyone starts can
     * bring about (Graph throttles the app across the tenant), deny rather
     * than open failmode safe. */
    return DIRECTORY_FAILED;
}

struct skipped_context {
    const struct entra_backend *backend;
    const char *principal;
    unsigned count;
};

static void report_skipped(void *context, const char *type, const char *number, const char *why)
{
    struct skipped_context *skipped = context;
    char clean[96];

    skipped->count++;
    log_clean_value(clean, sizeof clean, number);
    log_message(skipped->backend->log, LOG_WARNING, "directory: the %s phone of %s is not usable (%s): \"%s\"",
                type, skipped->principal, why, clean);
}

static enum directory_result entra_read(void *opaque, const char *user, struct directory_entry *entry,
                                        struct directory_error *error)
{
    struct entra_backend *backend = opaque;
    char principal[USER_NAME_MAX + 1], path[URL_MAX];
    struct http_response response = {0};
    unsigned masked = 0;

    if (!principal_of(backend, user, principal, sizeof principal) || !methods_path(principal, "", path, sizeof path)) {
        directory_fail(error, "entra.user makes no valid user principal name of %s", user);
        return DIRECTORY_FAILED;
    }
    struct http_session *session = open_session(backend);
    if (session == NULL) {
        directory_fail(error, "cannot start an HTTPS session");
        return DIRECTORY_FAILED;
    }
    enum directory_result result = graph(backend, session, "GET", path, NULL, &response, error);
    if (result != DIRECTORY_FOUND)
        goto out;
    if (entra_is_no_such_user(&response)) {
        result = DIRECTORY_NOT_ENROLLED; /* no such user: entry->key stays empty */
        goto out;
    }
    if (response.status != 200) {
        result = answer_failed(&response, "Microsoft Graph", "UserAuthMethod-Phone.Read.All", error);
        goto out;
    }
    struct skipped_context skipped = {.backend = backend, .principal = principal};
    if (entra_parse_methods(response.content_type, response.body, response.length, &entry->record, entry->raw,
                            &masked, report_skipped, &skipped) != 0) {
        directory_fail(error, "Microsoft Graph: the phone methods answer is not {\"value\": [...]}");
        result = DIRECTORY_FAILED;
        goto out;
    }
    (void)snprintf(entry->key, sizeof entry->key, "%s", principal);
    result = DIRECTORY_NOT_ENROLLED;
    for (int slot = 0; slot < SLOT_COUNT; slot++)
        if (entry->record.phones[slot].present)
            result = DIRECTORY_FOUND;
    /* "Not enrolled" may let a user pass (login.unenrolled = ignore): a
     * user with phones none of which can be used is not that. */
    if (result == DIRECTORY_NOT_ENROLLED && masked > 0) {
        directory_fail(error, "Microsoft Graph shows only masked numbers for %s: give the app the application "
                              "permission UserAuthMethod-Phone.Read.All", principal);
        result = DIRECTORY_FAILED;
    } else if (result == DIRECTORY_NOT_ENROLLED && skipped.count > 0) {
        directory_fail(error, "%s has phones in Entra ID but none is usable", principal);
        result = DIRECTORY_FAILED;
    }
out:
    http_response_clear(&response);
    http_session_free(session);
    return result;
}

/* "+44 7700900123", "+1 5555550100x123": the form Graph takes. */
static void graph_number(const struct phone_number *number, char *out, size_t size)
{
    const char *digits = number->e164 + 1;
    (void)snprintf(out, size, "+%.*s %s%s%s", (int)number->country_code_digits, digits,
                   digits + number->country_code_digits, number->extension[0] ? "x" : "", number->extension);
}

/* The entry's key is the principal name it was read under. */
static int write_slot(struct entra_backend *backend, struct http_session *session,
                      const struct directory_entry *before, const struct phone_record *after, int slot,
                      struct directory_error *error)
{
    const struct phone_entry *old = &before->record.phones[slot], *new = &after->phones[slot];
    char path[URL_MAX], rest[DIRECTORY_RAW_MAX + 2] = "", number[64];
    struct http_response response = {0};
    const char *method = new->present ? (old->present ? "PATCH" : "POST") : "DELETE";
    char *body = NULL;
    long expected = old->present && new->present ? 204 : new->present ? 201 : 204;

    if (old->present)
        (void)snprintf(rest, sizeof rest, "/%s", before->raw[slot]);
    if (!methods_path(before->key, rest, path, sizeof path)) {
        directory_fail(error, "the phone methods path of %s does not fit", before->key);
        return -1;
    }
    if (new->present) {
        graph_number(&new->number, number, sizeof number);
        json_t *object = json_pack("{s:s, s:s}", "phoneNumber", number, "phoneType", entra_phone_types[slot]);
        body = object != NULL ? json_dumps(object, JSON_COMPACT) : NULL;
        json_decref(object);
        if (body == NULL) {
            directory_fail(error, "out of memory");
            return -1;
        }
    }
    enum directory_result result = graph(backend, session, method, path, body, &response, error);
    free(body);
    int written = -1;
    if (result == DIRECTORY_FOUND && (response.status == expected || (!new->present && response.status == 404)))
        written = 0; /* a phone already gone is what was asked */
    else if (result == DIRECTORY_FOUND)
        (void)answer_failed(&response, "Microsoft Graph refused the change", "UserAuthMethod-Phone.ReadWrite.All",
                            error);
    http_response_clear(&response);
    return written;
}

static int entra_write(void *opaque, const struct directory_entry *before, const struct phone_record *after,
                       struct directory_error *error)
{
    struct entra_backend *backend = opaque;
    int result = 0;

    if (!backend->settings->write) {
        directory_fail(error, "phonemfa may not change phones in Entra ID (entra.write is false)");
        return -1;
    }
    struct http_session *session = open_session(backend);
    if (session == NULL) {
        directory_fail(error, "cannot start an HTTPS session");
        return -1;
    }
    const char *done = NULL;
    for (int slot = 0; slot < SLOT_COUNT && result == 0; slot++) {
        if (!directory_slot_changed(&before->record, after, slot))
            continue;
        result = write_slot(backend, session, before, after, slot, error);
        if (result == 0)
            done = phone_slot_name((enum phone_slot)slot);
    }
    /* Graph takes one phone method a request: say what did change. */
    if (result != 0 && done != NULL) {
        size_t length = strlen(error->message);
        (void)snprintf(error->message + length, sizeof error->message - length, " (the %s phone was changed before)",
                       done);
    }
    http_session_free(session);
    return result;
}

static void entra_free_backend(void *opaque)
{
    struct entra_backend *backend = opaque;

    secure_free_string(backend->token);
    (void)pthread_mutex_destroy(&backend->lock);
    free(backend);
}

void *directory_entra_new(const struct phonemfa_config *config, struct http_pool *pool, const struct log_sink *log,
                          struct directory_error *error)
{
    struct entra_backend *backend = calloc(1, sizeof *backend);

    if (backend == NULL || pthread_mutex_init(&backend->lock, NULL) != 0) {
        free(backend);
        directory_fail(error, "out of memory");
        return NULL;
    }
    backend->config = config;
    backend->settings = &config->entra;
    backend->pool = pool;
    backend->log = log;
    return backend;
}

const struct directory_ops directory_entra_ops = {
    .read = entra_read,
    .write = entra_write,
    .free = entra_free_backend,
};
