/* Phones from an LDAP directory (Active Directory, OpenLDAP, FreeIPA) with
 * libldap. TLS always (ldaps://, or ldap:// with StartTLS required), the
 * certificate and host name always verified against ldap.ca_file alone:
 * every option is set on the handle and its TLS context is made from the
 * handle's own settings (LDAP_OPT_X_TLS_NEWCTX), so neither ldap.conf nor
 * LDAP* variables nor an ldaprc can change what is trusted (phonemfad also
 * runs with LDAPNOINIT set). No referrals, bounded in time and size.
 * Connections bound as the reader are kept for the next logins, each lent
 * to one login at a time (a libldap handle is not for two threads at once),
 * so logins never queue behind one slow search; a change (phonemfa-setup)
 * binds a connection of its own as the writer. */
#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory_backend.h"
#include "phone_details.h"
#include "secure_mem.h"

#define FILTER_MAX 2048
/* Two are asked for: a second entry means the filter is ambiguous. */
#define SIZE_LIMIT 2
/* Lines about unusable values of one attribute, per lookup: an entry
 * with a thousand of them must not write a thousand lines a login. */
#define UNUSABLE_LOGGED_MAX 3
/* The phonemfa schema's (conf/ldap/phonemfa-schema.ldif), with ldap.details. */
#define DETAIL_ATTRIBUTE "phonemfaPhoneDetail"
#define PREFERRED_ATTRIBUTE "phonemfaPreferredMethod"
/* Idle reader connections kept: as many as logins usually look up at once. */
#define IDLE_READERS_MAX 8

struct ldap_backend {
    const struct phonemfa_config *config;
    const struct ldap_settings *settings;
    const struct log_sink *log;
    pthread_mutex_t lock; /* over idle */
    LDAP *idle[IDLE_READERS_MAX]; /* bound reader connections no login is using */
    size_t idle_count;
};

static const char *slot_attribute(const struct ldap_backend *backend, int slot)
{
    return backend->settings->attributes[slot];
}

/* A connection error (nothing answered, or the connection went away):
 * another server may be tried, and the failmode decides if none answers.
 * A TLS failure looks the same to libldap: the diagnostic says which. A
 * server that answers "busy", "unavailable" or "time limit exceeded" did
 * answer, and a crowd of logins can make it say so: that is an error,
 * never an outage failmode safe would let users through on. */
static bool is_unreachable(int rc)
{
    return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT;
}

/* The server's diagnostic is the server's text: sanitised before it
 * reaches a log. */
static void describe(LDAP *ld, int rc, const char *what, const char *uri, struct directory_error *error)
{
    char *diagnostic = NULL, clean[200] = "";

    if (ld != NULL && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic) == LDAP_OPT_SUCCESS &&
        diagnostic != NULL) {
        (void)snprintf(clean, sizeof clean, "%s", diagnostic);
        log_sanitize_service_text(clean);
    }
    ldap_memfree(diagnostic);
    directory_fail(error, "%s %s: %s (%d)%s%s", what, uri, ldap_err2string(rc), rc, clean[0] ? ": " : "", clean);
}

static int set_options(LDAP *ld, const struct ldap_settings *settings)
{
    int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    int never = LDAP_DEREF_NEVER, new_context = 0;
    struct timeval timeout = {.tv_sec = settings->timeout_ms / 1000, .tv_usec = (settings->timeout_ms % 1000) * 1000};

    /* Asynchronous connect: only then does libldap (2.5) bound the TLS
     * handshake by the network timeout; a silent server would hold a login
     * for ever otherwise (measured: shared/notes/ldap-and-entra-testing.md). */
    if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_DEREF, &never) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_TIMEOUT, &timeout) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, settings->ca_file) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != LDAP_OPT_SUCCESS)
        return -1;
    if (settings->client_cert != NULL &&
        (ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, settings->client_cert) != LDAP_OPT_SUCCESS ||
         ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, settings->client_key) != LDAP_OPT_SUCCESS))
        return -1;
    return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &new_context) == LDAP_OPT_SUCCESS ? 0 : -1;
}

/* Connected, TLS verified, bound (as dn with password; with the client
 * certificate, SASL EXTERNAL, when dn is NULL): one server after the
 * other in the configured order. rc is the last server's answer. */
static LDAP *connect_bound(const struct ldap_settings *settings, const char *dn, const char *password,
                           struct directory_error *error, int *rc)
{
    *rc = LDAP_SERVER_DOWN;
    directory_fail(error, "no LDAP server configured");
    for (size_t i = 0; i < settings->uri_count; i++) {
        const char *uri = settings->uris[i];
        LDAP *ld = NULL;
        *rc = ldap_initialize(&ld, uri);
        if (*rc != LDAP_SUCCESS || ld == NULL) {
            describe(NULL, *rc, "cannot use", uri, error);
            continue;
        }
        if (set_options(ld, settings) != 0) {
            *rc = LDAP_LOCAL_ERROR;
            directory_fail(error, "cannot set the TLS and time options for %s (ldap.ca_file %s, client "
                                  "certificate or key unreadable?)", uri, settings->ca_file);
            (void)ldap_unbind_ext_s(ld, NULL, NULL);
            continue;
        }
        if (strncmp(uri, "ldap://", 7) == 0) {
            *rc = ldap_start_tls_s(ld, NULL, NULL);
            if (*rc != LDAP_SUCCESS) {
                describe(ld, *rc, "StartTLS failed with", uri, error);
                (void)ldap_unbind_ext_s(ld, NULL, NULL);
                if (!is_unreachable(*rc))
                    *rc = LDAP_CONNECT_ERROR; /* refused StartTLS: this server cannot be used */
                continue;
            }
        }
        if (dn == NULL) {
            /* An empty initial response (present, zero bytes): the
             * certificate says who we are, in one step. Without it the
             * server asks for the response ("SASL bind in progress"). */
            char nothing[1] = "";
            struct berval empty = {0, nothing};
            *rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &empty, NULL, NULL, NULL);
        } else {
            struct berval credentials = {strlen(password), (char *)password};
            *rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &credentials, NULL, NULL, NULL);
        }
        if (*rc == LDAP_SUCCESS)
            return ld;
        describe(ld, *rc, "bind refused by", uri, error);
        (void)ldap_unbind_ext_s(ld, NULL, NULL);
        if (!is_unreachable(*rc))
            return NULL; /* wrong credentials are wrong on every server */
    }
    return NULL;
}

/* A DN is the server's text: printable (and numbers masked) before it
 * goes into a log line or onto a user's terminal. */
static void shown_dn(const char *dn, char *out, size_t size)
{
    (void)snprintf(out, size, "%s", dn);
    log_sanitize_service_text(out);
}

static bool escape_filter_value(const char *in, char *out, size_t size)
{
    struct berval value = {strlen(in), (char *)in}, escaped = {0, NULL};

    if (ldap_bv2escaped_filter_value(&value, &escaped) != 0)
        return false;
    bool fits = escaped.bv_len < size;
    if (fits)
        (void)snprintf(out, size, "%s", escaped.bv_val);
    ldap_memfree(escaped.bv_val);
    return fits;
}

/* The first value of the attribute that is a usable number; the others
 * are reported and left alone. Returns how many values were not usable. */
static unsigned read_slot(struct ldap_backend *backend, LDAP *ld, LDAPMessage *found, int slot,
                          struct directory_entry *entry)
{
    unsigned unusable = 0;
    const char *attribute = slot_attribute(backend, slot);
    struct berval **values = attribute != NULL ? ldap_get_values_len(ld, found, attribute) : NULL;
    struct phone_entry *phone = &entry->record.phones[slot];

    for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
        const struct berval *value = values[i];
        char text[DIRECTORY_RAW_MAX], clean[DIRECTORY_RAW_MAX];
        const char *why = "longer than a phone number";
        bool usable = value->bv_len < sizeof text && memchr(value->bv_val, '\0', value->bv_len) == NULL;
        if (usable) {
            memcpy(text, value->bv_val, value->bv_len);
            text[value->bv_len] = '\0';
            usable = directory_parse_number(text, backend->config->default_country_code, &phone->number, &why);
        }
        if (usable && !phone->present) {
            phone->present = true;
            phone->channels = slot == SLOT_OFFICE ? CHANNEL_CALL : CHANNEL_TEXT | CHANNEL_CALL;
            phone->verified_by = VERIFIED_NONE;
        } else if (!usable && ++unusable <= UNUSABLE_LOGGED_MAX) {
            /* A value may be a number after all (a national one without a
             * default country): masked like any number in a log. */
            char dn[sizeof entry->key];
            log_clean_value(clean, sizeof clean, value->bv_len < sizeof text ? text : "(too long)");
            log_sanitize_service_text(clean);
            shown_dn(entry->key, dn, sizeof dn);
            log_message(backend->log, LOG_WARNING, "directory: %s of %s is not a usable phone number (%s): \"%s\"",
                        attribute, dn, why, clean);
        }
    }
    ldap_value_free_len(values);
    return unusable;
}

/* The phonemfa schema's details onto the phones just read: a value that
 * does not parse is reported and left out (the phone keeps its slot's
 * channels, "not verified"); it can narrow what a login offers, never
 * widen it past what its slot takes. */
static void read_details(struct ldap_backend *backend, LDAP *ld, LDAPMessage *found, struct directory_entry *entry)
{
    static const char *const attributes[] = {DETAIL_ATTRIBUTE, PREFERRED_ATTRIBUTE};

    for (size_t a = 0; a < 2; a++) {
        struct berval **values = ldap_get_values_len(ld, found, attributes[a]);
        for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
            char text[PHONE_DETAIL_MAX], clean[PHONE_DETAIL_MAX], dn[sizeof entry->key];
            const char *why = "too long";
            bool parsed = values[i]->bv_len < sizeof text && memchr(values[i]->bv_val, '\0', values[i]->bv_len) == NULL;
            if (parsed) {
                memcpy(text, values[i]->bv_val, values[i]->bv_len);
                text[values[i]->bv_len] = '\0';
                parsed = a == 0 ? phone_detail_parse(text, &entry->record, &why)
                                : phone_preferred_parse(text, &entry->record, &why);
            }
            if (!parsed && i < UNUSABLE_LOGGED_MAX) {
                log_clean_value(clean, sizeof clean, values[i]->bv_len < sizeof text ? text : "(too long)");
                shown_dn(entry->key, dn, sizeof dn);
                log_message(backend->log, LOG_WARNING, "directory: %s of %s left out (%s): \"%s\"", attributes[a],
                            dn, why, clean);
            }
        }
        ldap_value_free_len(values);
    }
}

/* ldap.language: the first language of the user's preference list. A
 * value that is no language is reported and left out: the user then reads
 * the administrator's default, as if nothing were set. */
static void read_language(struct ldap_backend *backend, LDAP *ld, LDAPMessage *found, struct directory_entry *entry)
{
    const char *attribute = backend->settings->language_attribute;
    struct berval **values = ldap_get_values_len(ld, found, attribute);

    if (values != NULL && values[0] != NULL) {
        char text[64], clean[64], dn[sizeof entry->key];
        bool fits = values[0]->bv_len < sizeof text && memchr(values[0]->bv_val, '\0', values[0]->bv_len) == NULL;
        if (fits) {
            memcpy(text, values[0]->bv_val, values[0]->bv_len);
            text[values[0]->bv_len] = '\0';
        }
        if (!fits || !i18n_tag_from_preference(text, entry->record.language)) {
            log_clean_value(clean, sizeof clean, fits ? text : "(too long)");
            shown_dn(entry->key, dn, sizeof dn);
            log_message(backend->log, LOG_WARNING, "directory: %s of %s left out (not a language): \"%s\"",
                        attribute, dn, clean);
        }
    }
    ldap_value_free_len(values);
}

static enum directory_result search(struct ldap_backend *backend, LDAP *ld, const char *user,
                                    struct directory_entry *entry, struct directory_error *error, int *rc)
{
    static const int scopes[] = {LDAP_SCOPE_BASE, LDAP_SCOPE_ONELEVEL, LDAP_SCOPE_SUBTREE};
    const struct ldap_settings *settings = backend->settings;
    char filter[FILTER_MAX];
    char *attributes[SLOT_COUNT + 4] = {NULL};
    size_t count = 0;
    LDAPMessage *answer = NULL;
    struct timeval timeout = {.tv_sec = settings->timeout_ms / 1000, .tv_usec = (settings->timeout_ms % 1000) * 1000};
    enum directory_result result = DIRECTORY_FAILED;

    *rc = LDAP_OTHER;
    if (!directory_expand(settings->filter, user, escape_filter_value, filter, sizeof filter)) {
        directory_fail(error, "the filter for %s does not fit in %d bytes", user, FILTER_MAX);
        return DIRECTORY_FAILED;
    }
    for (int slot = 0; slot < SLOT_COUNT; slot++)
        if (slot_attribute(backend, slot) != NULL)
            attributes[count++] = (char *)slot_attribute(backend, slot);
    if (settings->details) {
        attributes[count++] = (char *)DETAIL_ATTRIBUTE;
        attributes[count++] = (char *)PREFERRED_ATTRIBUTE;
    }
    if (settings->language_attribute != NULL)
        attributes[count++] = settings->language_attribute;
    *rc = ldap_search_ext_s(ld, settings->base, scopes[settings->scope], filter, attributes, 0, NULL, NULL, &timeout,
                            SIZE_LIMIT, &answer);
    if (*rc == LDAP_SIZELIMIT_EXCEEDED || (*rc == LDAP_SUCCESS && ldap_count_entries(ld, answer) > 1)) {
        directory_fail(error, "ldap.filter matches more than one entry for %s: %s", user, filter);
    } else if (*rc != LDAP_SUCCESS) {
        describe(ld, *rc, "search failed under", settings->base, error);
        result = is_unreachable(*rc) ? DIRECTORY_UNAVAILABLE : DIRECTORY_FAILED;
    } else {
        LDAPMessage *found = ldap_first_entry(ld, answer);
        char *dn = found != NULL ? ldap_get_dn(ld, found) : NULL;
        unsigned unusable = 0;
        /* "Not enrolled" may let a user pass (login.unenrolled = ignore):
         * it is said only when the directory says so plainly. */
        result = DIRECTORY_NOT_ENROLLED;
        if (found == NULL && ldap_count_references(ld, answer) > 0) {
            directory_fail(error, "the search for %s was referred to another server (referrals are not followed): "
                                  "point ldap.uris and ldap.base at the directory that holds the user", user);
            result = DIRECTORY_FAILED;
        } else if (dn != NULL && strlen(dn) < sizeof entry->key) {
            (void)snprintf(entry->key, sizeof entry->key, "%s", dn);
            for (int slot = 0; slot < SLOT_COUNT; slot++)
                unusable += read_slot(backend, ld, found, slot, entry);
            if (settings->details)
                read_details(backend, ld, found, entry);
            if (settings->language_attribute != NULL)
                read_language(backend, ld, found, entry);
            for (int slot = 0; slot < SLOT_COUNT; slot++)
                if (entry->record.phones[slot].present)
                    result = DIRECTORY_FOUND;
            if (result == DIRECTORY_NOT_ENROLLED && unusable > 0) {
                char shown[sizeof entry->key];
                shown_dn(dn, shown, sizeof shown);
                directory_fail(error, "%s has phone numbers in the directory but none is usable", shown);
                result = DIRECTORY_FAILED;
            }
        } else if (found != NULL) {
            directory_fail(error, "the entry of %s has no DN phonemfa can use (none, or longer than %zu bytes)", user,
                           sizeof entry->key - 1);
            result = DIRECTORY_FAILED;
        }
        ldap_memfree(dn);
    }
    ldap_msgfree(answer);
    return result;
}

/* A kept reader connection, or NULL (the caller makes one). */
static LDAP *take_reader(struct ldap_backend *backend)
{
    LDAP *ld = NULL;

    (void)pthread_mutex_lock(&backend->lock);
    if (backend->idle_count > 0)
        ld = backend->idle[--backend->idle_count];
    (void)pthread_mutex_unlock(&backend->lock);
    return ld;
}

static void give_back_reader(struct ldap_backend *backend, LDAP *ld)
{
    (void)pthread_mutex_lock(&backend->lock);
    bool kept = backend->idle_count < IDLE_READERS_MAX;
    if (kept)
        backend->idle[backend->idle_count++] = ld;
    (void)pthread_mutex_unlock(&backend->lock);
    if (!kept)
        (void)ldap_unbind_ext_s(ld, NULL, NULL);
}

static void drop_idle_readers(struct ldap_backend *backend)
{
    LDAP *idle[IDLE_READERS_MAX];
    size_t count;

    (void)pthread_mutex_lock(&backend->lock);
    count = backend->idle_count;
    memcpy(idle, backend->idle, count * sizeof idle[0]);
    backend->idle_count = 0;
    (void)pthread_mutex_unlock(&backend->lock);
    for (size_t i = 0; i < count; i++)
        (void)ldap_unbind_ext_s(idle[i], NULL, NULL);
}

static enum directory_result ldap_read(void *opaque, const char *user, struct directory_entry *entry,
                                       struct directory_error *error)
{
    struct ldap_backend *backend = opaque;
    const struct ldap_settings *settings = backend->settings;
    enum directory_result result = DIRECTORY_UNAVAILABLE;
    int rc = LDAP_SERVER_DOWN;

    /* A kept connection the server has since closed fails at once: the
     * others kept are most likely closed too (a restart, an idle timeout),
     * so they are dropped and the search is made once more on a fresh one. */
    for (int attempt = 0; attempt < 2; attempt++) {
        LDAP *ld = attempt == 0 ? take_reader(backend) : NULL;
        bool kept = ld != NULL;
        if (!kept) {
            ld = connect_bound(settings, settings->sasl_external ? NULL : settings->bind_dn,
                               settings->bind_password, error, &rc);
            if (ld == NULL) {
                result = is_unreachable(rc) ? DIRECTORY_UNAVAILABLE : DIRECTORY_FAILED;
                break;
            }
        }
        memset(entry, 0, sizeof *entry);
        result = search(backend, ld, user, entry, error, &rc);
        if (!is_unreachable(rc)) {
            give_back_reader(backend, ld);
            break;
        }
        (void)ldap_unbind_ext_s(ld, NULL, NULL);
        if (!kept)
            break;
        drop_idle_readers(backend);
    }
    return result;
}

/* "+447700900123", "+15555550100 x1234": what phonemfa writes. */
static void format_number(const struct phone_number *number, char *out, size_t size)
{
    (void)snprintf(out, size, "%s%s%s", number->e164, number->extension[0] ? " x" : "", number->extension);
}

/* Each changed slot's attribute is replaced by the one new number, or
 * removed with the phone, in one modify (atomic on the server): what
 * phonemfa reads back at the next login is exactly what was written, never
 * another value that happened to come first. */
/* The details attributes (ldap.details): every phone's detail value, and
 * the preferred method, as the record now is. Values are built into
 * `text` (one PHONE_DETAIL_MAX slice a value). Returns the mods added. */
static size_t detail_mods(const struct phone_record *after, LDAPMod *mods,
                          char text[SLOT_COUNT + 1][PHONE_DETAIL_MAX], char *details[SLOT_COUNT + 1],
                          char *preferred[2])
{
    size_t values = 0;

    for (int slot = 0; slot < SLOT_COUNT; slot++)
        if (after->phones[slot].present &&
            phone_detail_format(after, (enum phone_slot)slot, text[values], sizeof text[values]))
            details[values] = text[values], values++;
    details[values] = NULL;
    preferred[0] = NULL;
    if (after->has_preferred && phone_preferred_format(after, text[SLOT_COUNT], sizeof text[SLOT_COUNT]))
        preferred[0] = text[SLOT_COUNT];
    preferred[1] = NULL;
    /* A replace without values removes the attribute, and is no error
     * when there is none. */
    mods[0] = (LDAPMod){.mod_op = LDAP_MOD_REPLACE, .mod_type = (char *)DETAIL_ATTRIBUTE,
                        .mod_values = values > 0 ? details : NULL};
    mods[1] = (LDAPMod){.mod_op = LDAP_MOD_REPLACE, .mod_type = (char *)PREFERRED_ATTRIBUTE,
                        .mod_values = preferred[0] != NULL ? preferred : NULL};
    return 2;
}

static bool preferred_changed(const struct phone_record *before, const struct phone_record *after)
{
    return before->has_preferred != after->has_preferred ||
           (after->has_preferred && (before->preferred_slot != after->preferred_slot ||
                                     before->preferred_channel != after->preferred_channel));
}

/* Each changed slot's attribute is replaced by the one new number, or
 * removed with the phone (a replace without values: no error when it is
 * gone already), in one modify (atomic on the server): what phonemfa reads
 * back at the next login is exactly what was written, never another value
 * that happened to come first. */
static int ldap_write(void *opaque, const struct directory_entry *before, const struct phone_record *after,
                      struct directory_error *error)
{
    struct ldap_backend *backend = opaque;
    const struct ldap_settings *settings = backend->settings;
    LDAPMod mods[SLOT_COUNT + 2];
    LDAPMod *list[SLOT_COUNT + 3];
    char formatted[SLOT_COUNT][DIRECTORY_RAW_MAX];
    char *values[SLOT_COUNT][2];
    char detail_text[SLOT_COUNT + 1][PHONE_DETAIL_MAX];
    char *details[SLOT_COUNT + 1], *preferred[2];
    size_t count = 0;
    bool any = preferred_changed(&before->record, after);
    int rc = LDAP_OTHER;

    if (settings->write_bind_dn == NULL) {
        directory_fail(error, "phonemfa may not write to this directory (no ldap.write_bind_dn)");
        return -1;
    }
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        const struct phone_entry *new = &after->phones[slot];
        if (!directory_slot_changed(&before->record, after, slot))
            continue;
        any = true;
        format_number(&new->number, formatted[slot], sizeof formatted[slot]);
        values[slot][0] = formatted[slot];
        values[slot][1] = NULL;
        mods[count] = (LDAPMod){.mod_op = LDAP_MOD_REPLACE, .mod_type = (char *)slot_attribute(backend, slot),
                                .mod_values = new->present ? values[slot] : NULL};
        count++;
    }
    if (!any)
        return 0;
    if (settings->details)
        count += detail_mods(after, mods + count, detail_text, details, preferred);
    for (size_t i = 0; i < count; i++)
        list[i] = &mods[i];
    list[count] = NULL;
    LDAP *writer = connect_bound(settings, settings->write_bind_dn, settings->write_bind_password, error, &rc);
    if (writer == NULL)
        return -1;
    rc = ldap_modify_ext_s(writer, before->key, list, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        char dn[sizeof before->key];
        shown_dn(before->key, dn, sizeof dn);
        describe(writer, rc, rc == LDAP_INSUFFICIENT_ACCESS ? "ldap.write_bind_dn may not change the phones of"
                                                            : "the directory refused the change of",
                 dn, error);
    }
    (void)ldap_unbind_ext_s(writer, NULL, NULL);
    return rc == LDAP_SUCCESS ? 0 : -1;
}

static void ldap_free_backend(void *opaque)
{
    struct ldap_backend *backend = opaque;

    for (size_t i = 0; i < backend->idle_count; i++)
        (void)ldap_unbind_ext_s(backend->idle[i], NULL, NULL);
    (void)pthread_mutex_destroy(&backend->lock);
    free(backend);
}

void *directory_ldap_new(const struct phonemfa_config *config, const struct log_sink *log,
                         struct directory_error *error)
{
    struct ldap_backend *backend = calloc(1, sizeof *backend);

    if (backend == NULL || pthread_mutex_init(&backend->lock, NULL) != 0) {
        free(backend);
        directory_fail(error, "out of memory");
        return NULL;
    }
    backend->config = config;
    backend->settings = &config->ldap;
    backend->log = log;
    return backend;
}

const struct directory_ops directory_ldap_ops = {
    .read = ldap_read,
    .write = ldap_write,
    .free = ldap_free_backend,
};
