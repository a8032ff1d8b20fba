/* The settings that say where users' phones come from: directory.backend
 * ("files", "ldap", "entra") and the ldap { } and entra { } groups. As strict
 * as the rest of the file: an LDAP URI that is not TLS, a filter template
 * with an unknown escape, a GUID that is not one are refused at load. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_parse.h"
#include "entra_assertion.h"
#include "safe_file.h"
#include "secure_mem.h"
#include "user_name.h"

#define DIRECTORY_TEXT_MAX 256
#define LDAP_DN_MAX 1024
#define LDAP_FILTER_MAX 1024
#define LDAP_URI_MAX 256
#define LDAP_PASSWORD_MAX 256
#define ATTRIBUTE_NAME_MAX 64
#define ENTRA_SECRET_MAX 256
#define ENTRA_URL_MAX 256
#define DEFAULT_TIMEOUT_MS 5000
#define CERTIFICATE_FILE_MAX (64 * 1024)

static const char *const slot_settings[CONFIG_DIRECTORY_SLOTS] = {"primary", "alternate", "office"};
/* Where AD and FreeIPA keep them (docs/phonemfa.conf.5). */
static const char *const default_attributes[CONFIG_DIRECTORY_SLOTS] = {"mobile", "otherMobile", "telephoneNumber"};

static int get_bool(struct parse_state *state, const config_setting_t *root, const char *group, const char *name,
                    bool *out)
{
    char full[64];
    const config_setting_t *setting = config_member(root, group, name);

    if (setting == NULL)
        return 0;
    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (config_setting_type(setting) != CONFIG_TYPE_BOOL)
        return config_fail(state, setting, full, "must be true or false");
    *out = config_setting_get_bool(setting) != 0;
    return 0;
}

/* A template names the user with %u (the whole name), %l (before '@') or
 * %d (after '@'); %% is a '%'. Anything else after '%' is refused, so a
 * typo cannot silently become part of a filter or a name. */
static bool template_is_valid(const char *text, bool *names_user)
{
    *names_user = false;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == 'u' || *p == 'l')
            *names_user = true;
        else if (*p != 'd' && *p != '%')
            return false;
    }
    return true;
}

static int get_template(struct parse_state *state, const config_setting_t *root, const char *group,
                        const char *name, size_t max_length, bool allow_space, char **out)
{
    char full[64];
    bool names_user = false;

    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (config_get_string(state, root, group, name, max_length, allow_space, out) != 0)
        return -1;
    if (*out == NULL)
        return 0;
    if (!template_is_valid(*out, &names_user))
        return config_fail(state, config_member(root, group, name), full,
                           "may use only %%u (the user name), %%l (before '@'), %%d (after '@') and %%%%");
    if (!names_user)
        return config_fail(state, config_member(root, group, name), full, "must contain %%u or %%l");
    return 0;
}

/* -- ldap ---------------------------------------------------------------------------- */

static int check_ldap_uri(struct parse_state *state, const config_setting_t *setting, const char *uri)
{
    size_t scheme = strncmp(uri, "ldaps://", 8) == 0 ? 8 : strncmp(uri, "ldap://", 7) == 0 ? 7 : 0;

    if (scheme == 0)
        return config_fail(state, setting, "ldap.uris",
                           "'%s' is not an ldaps:// or ldap:// URI (ldapi:// and others are not supported)", uri);
    if (uri[scheme] == '\0' || uri[scheme] == '/')
        return config_fail(state, setting, "ldap.uris", "'%s' has no host", uri);
    if (strlen(uri) > LDAP_URI_MAX)
        return config_fail(state, setting, "ldap.uris", "a URI is longer than %d characters", LDAP_URI_MAX);
    const char *slash = strchr(uri + scheme, '/');
    if (slash != NULL && slash[1] != '\0')
        return config_fail(state, setting, "ldap.uris",
                           "'%s': give the base, scope and filter as ldap.base, ldap.scope and ldap.filter, "
                           "not in the URI", uri);
    for (const char *p = uri; *p != '\0'; p++)
        if (!isgraph((unsigned char)*p) || *p == '?' || *p == '#' || *p == '@' || *p == ',')
            return config_fail(state, setting, "ldap.uris",
                               "'%s' may not contain spaces, '?', '#', '@', ',' or control characters", uri);
    return 0;
}

static int get_ldap_uris(struct parse_state *state, const config_setting_t *root, struct ldap_settings *ldap)
{
    const config_setting_t *setting = config_member(root, "ldap", "uris");

    if (setting == NULL)
        return config_fail(state, config_setting_get_member(root, "ldap"), "ldap.uris",
                           "is required: the ldaps:// URI(s) of the directory servers, tried in order");
    if (!config_setting_is_array(setting) && !config_setting_is_list(setting))
        return config_fail(state, setting, "ldap.uris", "must be a list of strings: [\"ldaps://...\"]");
    int count = config_setting_length(setting);
    if (count < 1 || count > CONFIG_MAX_LDAP_URIS)
        return config_fail(state, setting, "ldap.uris", "must hold 1 to %d URIs", CONFIG_MAX_LDAP_URIS);
    for (int i = 0; i < count; i++) {
        const config_setting_t *element = config_setting_get_elem(setting, (unsigned)i);
        if (config_setting_type(element) != CONFIG_TYPE_STRING)
            return config_fail(state, setting, "ldap.uris", "must be a list of strings");
        const char *uri = config_setting_get_string(element);
        if (check_ldap_uri(state, setting, uri) != 0)
            return -1;
        size_t length = strlen(uri);
        if (uri[length - 1] == '/')
            length--;
        ldap->uris[i] = strndup(uri, length);
        if (ldap->uris[i] == NULL)
            return config_fail(state, setting, "ldap.uris", "out of memory");
        ldap->uri_count++;
    }
    return 0;
}

/* Parentheses balanced and around the whole: "(uid=%u)", "(&(a=b)(c=%l))".
 * The user's part is escaped (RFC 4515) where it is put in. */
static int check_filter(struct parse_state *state, const config_setting_t *root, const char *filter)
{
    int depth = 0;
    size_t length = strlen(filter);

    for (size_t i = 0; i < length && depth >= 0; i++) {
        depth += filter[i] == '(';
        depth -= filter[i] == ')';
        if (depth == 0 && i + 1 < length)
            depth = -1;
    }
    if (filter[0] != '(' || depth != 0)
        return config_fail(state, config_member(root, "ldap", "filter"), "ldap.filter",
                           "must be one filter in parentheses, such as \"(uid=%%u)\"");
    return 0;
}

/* An attribute description: a name (letter, then letters, digits, '-') or
 * a numeric OID; "none" leaves the slot unread. */
static int get_attribute(struct parse_state *state, const config_setting_t *root, const char *name, char **out)
{
    char full[32];
    char *value = NULL;

    (void)snprintf(full, sizeof full, "ldap.%s", name);
    if (config_get_string(state, root, "ldap", name, ATTRIBUTE_NAME_MAX, false, &value) != 0)
        return -1;
    if (value == NULL)
        return 0; /* the default stays */
    bool named = isalpha((unsigned char)value[0]) && strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                   "0123456789-") == strlen(value);
    bool oid = isdigit((unsigned char)value[0]) && strspn(value, "0123456789.") == strlen(value) &&
               value[strlen(value) - 1] != '.' && strstr(value, "..") == NULL;
    if (!named && !oid) {
        free(value);
        return config_fail(state, config_member(root, "ldap", name), full,
                           "must be an attribute name such as \"mobile\", or \"none\"");
    }
    free(*out);
    *out = NULL;
    if (strcmp(value, "none") == 0)
        free(value);
    else
        *out = value;
    return 0;
}

static int get_secret_file(struct parse_state *state, const config_setting_t *root, const char *group,
                           const char *name, size_t max_length, const char *what, char **out)
{
    char full[64];
    char *file = NULL;

    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (config_get_path(state, root, group, name, &file) != 0)
        return -1;
    int result = file == NULL ? 0 : config_read_secret(state, full, file, max_length, what, out);
    free(file);
    return result;
}

static int parse_ldap(struct parse_state *state, const config_setting_t *root, struct ldap_settings *ldap)
{
    static const char *const binds[] = {"simple", "sasl_external", NULL};
    static const char *const scopes[] = {"base", "one", "sub", NULL};
    const config_setting_t *group = config_setting_get_member(root, "ldap");
    int choice = 0;

    if (get_ldap_uris(state, root, ldap) != 0 || config_get_path(state, root, "ldap", "ca_file", &ldap->ca_file) != 0 ||
        config_get_choice(state, root, "ldap", "bind", binds, &choice) != 0)
        return -1;
    ldap->sasl_external = choice == 1;
    if (ldap->ca_file == NULL)
        return config_fail(state, group, "ldap.ca_file",
                           "is required: the CA certificate(s) that signed the directory servers' certificates");
    if (config_get_string(state, root, "ldap", "bind_dn", LDAP_DN_MAX, true, &ldap->bind_dn) != 0 ||
        get_secret_file(state, root, "ldap", "bind_password_file", LDAP_PASSWORD_MAX, "password",
                        &ldap->bind_password) != 0 ||
        config_get_path(state, root, "ldap", "client_certificate", &ldap->client_cert) != 0 ||
        config_get_path(state, root, "ldap", "client_key", &ldap->client_key) != 0)
        return -1;
    if ((ldap->client_cert == NULL) != (ldap->client_key == NULL))
        return config_fail(state, group, "ldap.client_certificate", "set both ldap.client_certificate and ldap.client_key, or neither");
    if (ldap->sasl_external) {
        if (ldap->client_cert == NULL)
            return config_fail(state, group, "ldap.bind",
                               "\"sasl_external\" needs ldap.client_certificate and ldap.client_key");
        if (ldap->bind_dn != NULL || ldap->bind_password != NULL)
            return config_fail(state, group, "ldap.bind_dn",
                               "is not used with ldap.bind = \"sasl_external\" (the certificate names the client)");
    } else if (ldap->bind_dn == NULL || ldap->bind_password == NULL) {
        return config_fail(state, group, "ldap.bind_dn",
                           "ldap.bind_dn and ldap.bind_password_file are required with ldap.bind = \"simple\"");
    }
    if (config_get_string(state, root, "ldap", "base", LDAP_DN_MAX, true, &ldap->base) != 0)
        return -1;
    if (ldap->base == NULL)
        return config_fail(state, group, "ldap.base", "is required: the DN under which users are searched");
    choice = (int)LDAP_SEARCH_SUB;
    if (config_get_choice(state, root, "ldap", "scope", scopes, &choice) != 0)
        return -1;
    ldap->scope = (enum ldap_search_scope)choice;
    if (get_template(state, root, "ldap", "filter", LDAP_FILTER_MAX, true, &ldap->filter) != 0)
        return -1;
    if (ldap->filter == NULL)
        return config_fail(state, group, "ldap.filter",
                           "is required: the filter that finds one user, such as \"(uid=%%u)\" or "
                           "\"(&(objectClass=user)(sAMAccountName=%%l))\"");
    if (check_filter(state, root, ldap->filter) != 0)
        return -1;
    bool any = false;
    for (size_t slot = 0; slot < CONFIG_DIRECTORY_SLOTS; slot++) {
        ldap->attributes[slot] = strdup(default_attributes[slot]);
        if (ldap->attributes[slot] == NULL)
            return config_fail(state, group, "ldap", "out of memory");
        if (get_attribute(state, root, slot_settings[slot], &ldap->attributes[slot]) != 0)
            return -1;
        any = any || ldap->attributes[slot] != NULL;
    }
    if (!any)
        return config_fail(state, group, "ldap.primary", "at least one of primary, alternate and office must be read");
    if (get_bool(state, root, "ldap", "details", &ldap->details) != 0 ||
        get_attribute(state, root, "language", &ldap->language_attribute) != 0 ||
        config_get_string(state, root, "ldap", "write_bind_dn", LDAP_DN_MAX, true, &ldap->write_bind_dn) != 0 ||
        get_secret_file(state, root, "ldap", "write_bind_password_file", LDAP_PASSWORD_MAX, "password",
                        &ldap->write_bind_password) != 0)
        return -1;
    if ((ldap->write_bind_dn == NULL) != (ldap->write_bind_password == NULL))
        return config_fail(state, group, "ldap.write_bind_dn",
                           "set both ldap.write_bind_dn and ldap.write_bind_password_file, or neither");
    ldap->timeout_ms = DEFAULT_TIMEOUT_MS;
    return config_get_seconds(state, root, "ldap", "timeout", 1, 60, IN_MILLISECONDS, &ldap->timeout_ms);
}

/* -- entra --------------------------------------------------------------------------- */

static bool is_guid(const char *text)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(text) != sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i] != '\0'; i++)
        if (shape[i] == '-' ? text[i] != '-' : !isxdigit((unsigned char)text[i]))
            return false;
    return true;
}

/* A tenant is its GUID or one of its domain names (contoso.onmicrosoft.com):
 * it becomes a path segment of the token URL. */
static bool is_tenant(const char *text)
{
    return is_guid(text) || (text[0] != '.' && text[0] != '-' && strstr(text, "..") == NULL &&
                             strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
                                 strlen(text));
}

static int get_https_url(struct parse_state *state, const config_setting_t *root, const char *name,
                         const char *fallback, char **out)
{
    char full[32];

    (void)snprintf(full, sizeof full, "entra.%s", name);
    if (config_get_string(state, root, "entra", name, ENTRA_URL_MAX, false, out) != 0)
        return -1;
    if (*out == NULL) {
        *out = strdup(fallback);
        return *out != NULL ? 0 : config_fail(state, NULL, full, "out of memory");
    }
    const char *url = *out;
    bool valid = strncmp(url, "https://", 8) == 0 && url[8] != '\0' && url[8] != '/' &&
                 strpbrk(url, "?#@") == NULL;
    if (!valid)
        return config_fail(state, config_member(root, "entra", name), full,
                           "must be an https:// URL without '?', '#' or '@'");
    size_t length = strlen(url);
    while (length > 8 && url[length - 1] == '/')
        (*out)[--length] = '\0'; /* paths are appended with a single '/' */
    return 0;
}

/* A certificate credential: the key read like a secret (root's, 0600),
 * checked to be RSA (RS256 is what Entra ID takes) and to match the
 * certificate, whose SHA-1 thumbprint names it in each assertion. */
static int load_certificate(struct parse_state *state, const config_setting_t *root, struct entra_settings *entra)
{
    char *cert_path = NULL, *key_path = NULL, *cert_pem = NULL;
    size_t cert_length = 0;
    struct safe_file_error file_error;
    int result = -1;

    if (config_get_path(state, root, "entra", "client_certificate", &cert_path) != 0 ||
        config_get_path(state, root, "entra", "client_key", &key_path) != 0)
        goto out;
    if (cert_path == NULL && key_path == NULL) {
        result = 0;
        goto out;
    }
    if (cert_path == NULL || key_path == NULL) {
        config_fail(state, config_setting_get_member(root, "entra"), "entra.client_certificate",
                    "set both entra.client_certificate and entra.client_key, or neither");
        goto out;
    }
    if (safe_read_file(cert_path, CERTIFICATE_FILE_MAX, SAFE_FILE_READABLE_BY_OTHERS_OK, &cert_pem, &cert_length,
                       NULL, &file_error) != 0) {
        config_fail(state, config_member(root, "entra", "client_certificate"), "entra.client_certificate", "%s",
                    file_error.message);
        goto out;
    }
    if (safe_read_file(key_path, CERTIFICATE_FILE_MAX, SAFE_FILE_PRIVATE, &entra->client_key_pem,
                       &entra->client_key_length, NULL, &file_error) != 0) {
        config_fail(state, config_member(root, "entra", "client_key"), "entra.client_key", "%s", file_error.message);
        goto out;
    }
    char why[160];
    entra->certificate_thumbprint = entra_certificate_thumbprint(cert_pem, cert_length, entra->client_key_pem,
                                                           entra->client_key_length, why, sizeof why);
    if (entra->certificate_thumbprint == NULL) {
        config_fail(state, config_member(root, "entra", "client_certificate"), "entra.client_certificate", "%s", why);
        goto out;
    }
    result = 0;
out:
    free(cert_path);
    free(key_path);
    free(cert_pem);
    return result;
}

static int parse_entra(struct parse_state *state, const config_setting_t *root, struct entra_settings *entra)
{
    const config_setting_t *group = config_setting_get_member(root, "entra");

    if (config_get_string(state, root, "entra", "tenant", 128, false, &entra->tenant) != 0 ||
        config_get_string(state, root, "entra", "client_id", 64, false, &entra->client_id) != 0 ||
        get_secret_file(state, root, "entra", "client_secret_file", ENTRA_SECRET_MAX, "client secret",
                        &entra->client_secret) != 0 ||
        get_template(state, root, "entra", "user", 256, false, &entra->user_template) != 0 ||
        get_https_url(state, root, "authority_url", "https://login.microsoftonline.com", &entra->authority_url) != 0 ||
        get_https_url(state, root, "graph_url", "https://graph.microsoft.com", &entra->graph_url) != 0 ||
        config_get_path(state, root, "entra", "ca_file", &entra->ca_file) != 0 ||
        get_bool(state, root, "entra", "write", &entra->write) != 0)
        return -1;
    if (entra->tenant == NULL || !is_tenant(entra->tenant))
        return config_fail(state, entra->tenant ? config_member(root, "entra", "tenant") : group, "entra.tenant",
                           "is required: the tenant ID (a GUID) or a domain name of the tenant");
    if (entra->client_id == NULL || !is_guid(entra->client_id))
        return config_fail(state, entra->client_id ? config_member(root, "entra", "client_id") : group,
                           "entra.client_id", "is required: the application (client) ID of the app registration, "
                                              "a GUID");
    if (load_certificate(state, root, entra) != 0)
        return -1;
    if ((entra->client_secret == NULL) == (entra->client_key_pem == NULL))
        return config_fail(state, group, "entra.client_secret_file",
                           "set exactly one: entra.client_secret_file (the client secret's value), or "
                           "entra.client_certificate and entra.client_key (a certificate uploaded to the app "
                           "registration)");
    if (entra->user_template == NULL) {
        entra->user_template = strdup("%u");
        if (entra->user_template == NULL)
            return config_fail(state, group, "entra.user", "out of memory");
    }
    entra->timeout_ms = DEFAULT_TIMEOUT_MS;
    return config_get_seconds(state, root, "entra", "timeout", 1, 60, IN_MILLISECONDS, &entra->timeout_ms);
}

/* -- the choice ---------------------------------------------------------------------- */

int config_parse_directory(struct parse_state *state, const config_setting_t *root, struct phonemfa_config *config)
{
    static const char *const backends[] = {"files", "ldap", "entra", NULL};
    int choice = (int)DIRECTORY_FILES;

    if (config_get_choice(state, root, "directory", "backend", backends, &choice) != 0 ||
        config_get_string(state, root, "directory", "managed_by", DIRECTORY_TEXT_MAX, true,
                          &config->directory_managed_by) != 0)
        return -1;
    config->directory = (enum directory_backend)choice;
    if (config_get_string(state, root, "directory", "domain", 200, false, &config->directory_domain) != 0)
        return -1;
    if (config->directory_domain != NULL) {
        char name[256];
        (void)snprintf(name, sizeof name, "a@%s", config->directory_domain);
        if (!user_name_is_valid(name))
            return config_fail(state, config_member(root, "directory", "domain"), "directory.domain",
                               "must be a DNS domain such as \"corp.example.com\"");
    }
    unsigned hours = 0;
    if (config_get_integer(state, root, "directory", "cache_hours", 1, 24 * 30, &hours) != 0 ||
        config_get_path(state, root, "directory", "cache_directory", &config->directory_cache_path) != 0)
        return -1;
    config->directory_cache_s = (long)hours * 3600;
    const config_setting_t *cache = config_member(root, "directory", "cache_hours");
    if (cache != NULL && config->directory == DIRECTORY_FILES)
        return config_fail(state, cache, "directory.cache_hours", "is only used with directory.backend = \"ldap\" "
                                                                  "or \"entra\"");
    if (config->directory_cache_path == NULL) {
        config->directory_cache_path = strdup(PHONEMFA_DEFAULT_CACHE);
        if (config->directory_cache_path == NULL)
            return config_fail(state, NULL, "directory.cache_directory", "out of memory");
    }
    const config_setting_t *ldap = config_setting_get_member(root, "ldap");
    const config_setting_t *entra = config_setting_get_member(root, "entra");
    const config_setting_t *store = config_member(root, "store", "directory");
    if (config->directory != DIRECTORY_LDAP && ldap != NULL)
        return config_fail(state, ldap, "ldap", "is only used with directory.backend = \"ldap\"");
    if (config->directory != DIRECTORY_ENTRA && entra != NULL)
        return config_fail(state, entra, "entra", "is only used with directory.backend = \"entra\"");
    if (config->directory != DIRECTORY_FILES && store != NULL)
        return config_fail(state, store, "store.directory", "is only used with directory.backend = \"files\"");
    switch (config->directory) {
    case DIRECTORY_LDAP:
        if (ldap == NULL)
            return config_fail(state, config_setting_get_member(root, "directory"), "ldap",
                               "is required with directory.backend = \"ldap\"");
        return parse_ldap(state, root, &config->ldap);
    case DIRECTORY_ENTRA:
        if (entra == NULL)
            return config_fail(state, config_setting_get_member(root, "directory"), "entra",
                               "is required with directory.backend = \"entra\"");
        return parse_entra(state, root, &config->entra);
    case DIRECTORY_FILES:
        break;
    }
    return 0;
}

void config_free_directory(struct phonemfa_config *config)
{
    struct ldap_settings *ldap = &config->ldap;
    struct entra_settings *entra = &config->entra;

    free(config->directory_managed_by);
    free(config->directory_domain);
    free(config->directory_cache_path);
    for (size_t i = 0; i < ldap->uri_count; i++)
        free(ldap->uris[i]);
    free(ldap->ca_file);
    free(ldap->bind_dn);
    secure_free_string(ldap->bind_password);
    free(ldap->client_cert);
    free(ldap->client_key);
    free(ldap->base);
    free(ldap->filter);
    for (size_t slot = 0; slot < CONFIG_DIRECTORY_SLOTS; slot++)
        free(ldap->attributes[slot]);
    free(ldap->language_attribute);
    free(ldap->write_bind_dn);
    secure_free_string(ldap->write_bind_password);
    free(entra->tenant);
    free(entra->client_id);
    secure_free_string(entra->client_secret);
    if (entra->client_key_pem != NULL)
        secure_free_buffer(entra->client_key_pem, entra->client_key_length);
    free(entra->certificate_thumbprint);
    free(entra->user_template);
    free(entra->authority_url);
    free(entra->graph_url);
    free(entra->ca_file);
}
