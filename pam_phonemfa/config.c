#include "config.h"
#include "config_parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "i18n.h"

#include "phone_number.h"
#include "user_state.h"
#include "phone_record.h"
#include "safe_file.h"
#include "secure_mem.h"
#include "user_name.h"

#define URL_MAX 512
#define TEXT_SETTING_MAX 256
#define TOKEN_MAX 2048

/* Every error names file, line and setting so an administrator can go
 * straight to it. */
int config_fail(struct parse_state *state, const config_setting_t *setting, const char *name,
                const char *format, ...)
{
    char reason[CONFIG_ERROR_MAX / 2];
    va_list args;

    va_start(args, format);
    (void)vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    unsigned line = setting ? config_setting_source_line(setting) : 0;
    if (line > 0)
        (void)snprintf(state->error->message, sizeof state->error->message,
                       "%s:%u: setting '%s': %s", state->path, line, name, reason);
    else
        (void)snprintf(state->error->message, sizeof state->error->message,
                       "%s: setting '%s': %s", state->path, name, reason);
    return -1;
}

struct group_schema {
    const char *group;
    const char *const *settings;
};

static const char *const service_settings[] = {
    "provider", "urls", "token", "token_file", "ca_file", "connect_timeout", "request_timeout", NULL,
};
static const char *const login_settings[] = {
    "code_attempts", "verifications_per_login", "menu_attempts", "call_answer_timeout", "answer_timeout",
    "poll_interval", "failmode", "unenrolled", "default_country_code", "locale", "verify_user",
    "failmode_safe_groups", NULL,
};
static const char *const twilio_settings[] = {"service_sid", "api_key_sid", "account_sid", NULL};
static const char *const store_settings[] = {"directory", NULL};
static const char *const state_settings[] = {"directory", NULL};
static const char *const lockout_settings[] = {"failures", "window", "duration", NULL};
static const char *const limits_settings[] = {"sends_per_user", "window", "countries", "channels", NULL};
static const char *const remember_settings[] = {"mode", "days", "key", NULL};
static const char *const access_settings[] = {"exempt_users", "exempt_groups", "required_groups",
                                              "trusted_networks", NULL};
static const char *const texts_settings[] = {"menu_header", "menu_footer", "translations", NULL};
static const char *const setup_settings[] = {"self_service_slots", "self_register", NULL};
static const char *const directory_settings[] = {"backend", "managed_by", "domain", "cache_hours", "cache_directory",
                                                 NULL};
static const char *const ldap_settings[] = {"uris", "ca_file", "bind", "bind_dn", "bind_password_file", "client_certificate",
                                            "client_key", "base", "scope", "filter", "primary", "alternate", "office",
                                            "details", "language", "write_bind_dn", "write_bind_password_file", "timeout",
                                            NULL};
static const char *const entra_settings[] = {"tenant", "client_id", "client_secret_file", "client_certificate",
                                             "client_key", "user", "authority_url", "graph_url", "ca_file", "write",
                                             "timeout", NULL};

static const struct group_schema schema[] = {
    {"service", service_settings},
    {"twilio", twilio_settings},
    {"login", login_settings},
    {"store", store_settings},
    {"state", state_settings},
    {"lockout", lockout_settings},
    {"limits", limits_settings},
    {"remember", remember_settings},
    {"access", access_settings},
    {"texts", texts_settings},
    {"setup", setup_settings},
    {"directory", directory_settings},
    {"ldap", ldap_settings},
    {"entra", entra_settings},
};

static bool name_in(const char *name, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static int check_schema(struct parse_state *state, const config_setting_t *root)
{
    int count = config_setting_length(root);

    for (int i = 0; i < count; i++) {
        const config_setting_t *group = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(group);
        const struct group_schema *found = NULL;
        for (size_t g = 0; g < sizeof schema / sizeof schema[0]; g++)
            if (name != NULL && strcmp(name, schema[g].group) == 0)
                found = &schema[g];
        if (found == NULL)
            return config_fail(state, group, name ? name : "?", "unknown setting");
        if (!config_setting_is_group(group))
            return config_fail(state, group, name, "must be a group { ... }");
        int members = config_setting_length(group);
        for (int m = 0; m < members; m++) {
            const config_setting_t *setting = config_setting_get_elem(group, (unsigned)m);
            const char *member = config_setting_name(setting);
            if (member == NULL || !name_in(member, found->settings)) {
                char full[128];
                (void)snprintf(full, sizeof full, "%s.%s", name, member ? member : "?");
                return config_fail(state, setting, full, "unknown setting");
            }
        }
    }
    return 0;
}

const config_setting_t *config_member(const config_setting_t *root, const char *group,
                                      const char *name)
{
    const config_setting_t *g = config_setting_get_member(root, group);
    return g ? config_setting_get_member(g, name) : NULL;
}

bool config_clean_text(const char *text, bool allow_space)
{
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p == ' ' && !allow_space)
            return false;
    }
    return true;
}

int config_get_string(struct parse_state *state, const config_setting_t *root, const char *group,
                      const char *name, size_t max_length, bool allow_space, char **out)
{
    char full[128];
    const config_setting_t *setting = config_member(root, group, name);

    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (setting == NULL)
        return 0;
    if (config_setting_type(setting) != CONFIG_TYPE_STRING)
        return config_fail(state, setting, full, "must be a string in double quotes");
    const char *value = config_setting_get_string(setting);
    if (value == NULL || value[0] == '\0')
        return config_fail(state, setting, full, "must not be empty");
    if (strlen(value) > max_length)
        return config_fail(state, setting, full, "longer than %zu characters", max_length);
    if (!config_clean_text(value, allow_space))
        return config_fail(state, setting, full, "contains control characters%s",
                    allow_space ? "" : " or spaces");
    *out = strdup(value);
    if (*out == NULL)
        return config_fail(state, setting, full, "out of memory");
    return 0;
}

int config_get_path(struct parse_state *state, const config_setting_t *root, const char *group,
                    const char *name, char **out)
{
    if (config_get_string(state, root, group, name, 1024, false, out) != 0)
        return -1;
    if (*out != NULL && (*out)[0] != '/') {
        char full[128];
        (void)snprintf(full, sizeof full, "%s.%s", group, name);
        return config_fail(state, config_member(root, group, name), full, "must be an absolute path");
    }
    return 0;
}

int config_get_integer(struct parse_state *state, const config_setting_t *root, const char *group,
                       const char *name, long long minimum, long long maximum, unsigned *out)
{
    char full[128];
    const config_setting_t *setting = config_member(root, group, name);

    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (setting == NULL)
        return 0;
    int type = config_setting_type(setting);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return config_fail(state, setting, full, "must be a whole number");
    long long value = config_setting_get_int64(setting);
    if (value < minimum || value > maximum)
        return config_fail(state, setting, full, "must be from %lld to %lld", minimum, maximum);
    *out = (unsigned)value;
    return 0;
}

int config_get_seconds(struct parse_state *state, const config_setting_t *root, const char *group,
                       const char *name, double minimum, double maximum, enum duration_unit unit,
                       long *out)
{
    char full[128];
    const config_setting_t *setting = config_member(root, group, name);
    double value;

    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (setting == NULL)
        return 0;
    switch (config_setting_type(setting)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        value = (double)config_setting_get_int64(setting);
        break;
    case CONFIG_TYPE_FLOAT:
        value = config_setting_get_float(setting);
        break;
    default:
        return config_fail(state, setting, full, "must be a number of seconds");
    }
    if (!(value >= minimum && value <= maximum))
        return config_fail(state, setting, full, "must be from %g to %g seconds", minimum, maximum);
    *out = (long)(value * (double)unit + 0.5);
    return 0;
}

int config_get_choice(struct parse_state *state, const config_setting_t *root, const char *group,
                      const char *name, const char *const *choices, int *out)
{
    char full[128];
    char *value = NULL;

    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (config_get_string(state, root, group, name, 64, false, &value) != 0)
        return -1;
    if (value == NULL)
        return 0;
    for (int i = 0; choices[i] != NULL; i++) {
        if (strcmp(value, choices[i]) == 0) {
            *out = i;
            free(value);
            return 0;
        }
    }
    char allowed[256] = "";
    for (int i = 0; choices[i] != NULL; i++) {
        (void)strncat(allowed, i ? ", " : "", sizeof allowed - strlen(allowed) - 1);
        (void)strncat(allowed, choices[i], sizeof allowed - strlen(allowed) - 1);
    }
    free(value);
    return config_fail(state, config_member(root, group, name), full, "must be one of: %s", allowed);
}

static int check_url(struct parse_state *state, const config_setting_t *setting, const char *url)
{
    if (strncmp(url, "https://", 8) != 0)
        return config_fail(state, setting, "service.urls", "'%s' is not an https:// URL", url);
    if (url[8] == '\0' || url[8] == '/')
        return config_fail(state, setting, "service.urls", "'%s' has no host", url);
    if (strlen(url) > URL_MAX)
        return config_fail(state, setting, "service.urls", "a URL is longer than %d characters", URL_MAX);
    for (const char *p = url; *p != '\0'; p++)
        if (!isgraph((unsigned char)*p) || *p == '?' || *p == '#' || *p == '@')
            return config_fail(state, setting, "service.urls",
                        "'%s' may not contain spaces, '?', '#', '@' or control characters", url);
    return 0;
}

static int get_urls(struct parse_state *state, const config_setting_t *root,
                    struct phonemfa_config *config)
{
    const config_setting_t *setting = config_member(root, "service", "urls");

    if (setting == NULL && config->provider == PROVIDER_TWILIO) {
        config->urls[0] = strdup(TWILIO_DEFAULT_URL);
        if (config->urls[0] == NULL)
            return config_fail(state, NULL, "service.urls", "out of memory");
        config->url_count = 1;
        return 0;
    }
    if (setting == NULL)
        return config_fail(state, config_setting_get_member(root, "service"), "service.urls",
                    "is required: the https:// URL(s) of the verification service");
    if (!config_setting_is_array(setting) && !config_setting_is_list(setting))
        return config_fail(state, setting, "service.urls", "must be a list of strings: [\"https://...\"]");
    int count = config_setting_length(setting);
    if (count < 1 || count > CONFIG_MAX_URLS)
        return config_fail(state, setting, "service.urls", "must hold 1 to %d URLs", CONFIG_MAX_URLS);
    for (int i = 0; i < count; i++) {
        const config_setting_t *element = config_setting_get_elem(setting, (unsigned)i);
        if (config_setting_type(element) != CONFIG_TYPE_STRING)
            return config_fail(state, setting, "service.urls", "must be a list of strings");
        const char *url = config_setting_get_string(element);
        if (check_url(state, setting, url) != 0)
            return -1;
        size_t length = strlen(url);
        while (length > 0 && url[length - 1] == '/')
            length--; /* so paths can be appended with a single '/' */
        config->urls[i] = strndup(url, length);
        if (config->urls[i] == NULL)
            return config_fail(state, setting, "service.urls", "out of memory");
        config->url_count++;
    }
    return 0;
}

static int load_token(struct parse_state *state, const config_setting_t *root,
                      struct phonemfa_config *config, char **token_file)
{
    const config_setting_t *inline_token = config_member(root, "service", "token");

    if (config_get_path(state, root, "service", "token_file", token_file) != 0)
        return -1;
    if (inline_token != NULL && *token_file != NULL)
        return config_fail(state, inline_token, "service.token", "set either token or token_file, not both");
    if (inline_token == NULL && *token_file == NULL)
        return config_fail(state, config_setting_get_member(root, "service"), "service.token_file",
                    "is required (or service.token): the service's bearer token");
    if (inline_token != NULL) {
        config->token_is_inline = true;
        return config_get_string(state, root, "service", "token", TOKEN_MAX, false, &config->token);
    }
    return 0;
}

/* Twilio SIDs: two letters and 32 hex digits. */
static int get_sid(struct parse_state *state, const config_setting_t *root, const char *name,
                   const char *prefix, char **out)
{
    char full[64];

    (void)snprintf(full, sizeof full, "twilio.%s", name);
    if (config_get_string(state, root, "twilio", name, TWILIO_SID_LENGTH + 8, false, out) != 0)
        return -1;
    if (*out == NULL)
        return 0; /* not set: the caller decides whether it was required */
    bool valid = strlen(*out) == TWILIO_SID_LENGTH && strncmp(*out, prefix, 2) == 0;
    for (size_t i = 2; valid && i < TWILIO_SID_LENGTH; i++)
        valid = isxdigit((unsigned char)(*out)[i]) != 0;
    if (!valid)
        return config_fail(state, config_member(root, "twilio", name), full,
                    "must be %s followed by 32 hexadecimal digits", prefix);
    return 0;
}

static int parse_twilio(struct parse_state *state, const config_setting_t *root,
                        struct phonemfa_config *config)
{
    const config_setting_t *group = config_setting_get_member(root, "twilio");

    if (config->provider != PROVIDER_TWILIO) {
        if (group != NULL)
            return config_fail(state, group, "twilio", "is only used with service.provider = \"twilio\"");
        return 0;
    }
    if (group == NULL)
        return config_fail(state, config_setting_get_member(root, "service"), "twilio",
                    "is required with service.provider = \"twilio\": set twilio.service_sid and "
                    "twilio.api_key_sid (or twilio.account_sid)");
    if (get_sid(state, root, "service_sid", "VA", &config->twilio_service_sid) != 0 ||
        get_sid(state, root, "api_key_sid", "SK", &config->twilio_api_key_sid) != 0 ||
        get_sid(state, root, "account_sid", "AC", &config->twilio_account_sid) != 0)
        return -1;
    if (config->twilio_service_sid == NULL)
        return config_fail(state, group, "twilio.service_sid", "is required: the Verify Service SID (VA...)");
    if ((config->twilio_api_key_sid == NULL) == (config->twilio_account_sid == NULL))
        return config_fail(state, group, "twilio.api_key_sid",
                    "set exactly one of twilio.api_key_sid (recommended) and twilio.account_sid");
    return 0;
}

/* A list of strings: [ "a", "b" ] (or an array). Each goes through check. */
static const config_setting_t *get_list(struct parse_state *state, const config_setting_t *root,
                                        const char *group, const char *name, size_t max, int *count)
{
    char full[128];
    const config_setting_t *setting = config_member(root, group, name);

    *count = 0;
    if (setting == NULL)
        return NULL;
    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (!config_setting_is_array(setting) && !config_setting_is_list(setting)) {
        config_fail(state, setting, full, "must be a list: [ ... ]");
        *count = -1;
        return NULL;
    }
    *count = config_setting_length(setting);
    if ((size_t)*count > max) {
        config_fail(state, setting, full, "holds more than %zu entries", max);
        *count = -1;
        return NULL;
    }
    return setting;
}

static const char *list_string(struct parse_state *state, const config_setting_t *list, int index,
                               const char *full)
{
    const config_setting_t *element = config_setting_get_elem(list, (unsigned)index);
    const char *value = element ? config_setting_get_string(element) : NULL;

    if (value == NULL)
        config_fail(state, list, full, "must hold strings");
    return value;
}

static int get_names(struct parse_state *state, const config_setting_t *root, const char *group,
                     const char *name, struct name_list *out)
{
    char full[128];
    int count = 0;
    const config_setting_t *list = get_list(state, root, group, name, CONFIG_MAX_NAMES, &count);

    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    for (int i = 0; i < count; i++) {
        const char *value = list_string(state, list, i, full);
        if (value == NULL)
            return -1;
        if (!user_name_is_valid(value))
            return config_fail(state, list, full, "'%s' is not a valid user or group name", value);
        out->names[out->count] = strdup(value);
        if (out->names[out->count] == NULL)
            return config_fail(state, list, full, "out of memory");
        out->count++;
    }
    return count < 0 ? -1 : 0;
}

static int parse_network(const char *text, struct network *network)
{
    char address[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(text, '/');
    size_t length = slash ? (size_t)(slash - text) : strlen(text);

    if (length == 0 || length >= sizeof address)
        return -1;
    memcpy(address, text, length);
    address[length] = '\0';
    memset(network, 0, sizeof *network);
    if (inet_pton(AF_INET, address, network->address) == 1)
        network->family = AF_INET;
    else if (inet_pton(AF_INET6, address, network->address) == 1)
        network->family = AF_INET6;
    else
        return -1;
    unsigned maximum = network->family == AF_INET ? 32 : 128;
    network->prefix_length = maximum;
    if (slash != NULL) {
        /* Digits only: strtoul would take "/-0" for /0 (every address),
         * "/ 8" and "/+2". */
        const char *digits = slash + 1;
        size_t count = strspn(digits, "0123456789");
        if (count == 0 || count > 3 || digits[count] != '\0')
            return -1;
        unsigned long prefix = strtoul(digits, NULL, 10);
        if (prefix > maximum)
            return -1;
        network->prefix_length = (unsigned)prefix;
    }
    return 0;
}

static int get_networks(struct parse_state *state, const config_setting_t *root,
                        struct phonemfa_config *config)
{
    int count = 0;
    const config_setting_t *list =
        get_list(state, root, "access", "trusted_networks", CONFIG_MAX_NETWORKS, &count);

    for (int i = 0; i < count; i++) {
        const char *value = list_string(state, list, i, "access.trusted_networks");
        if (value == NULL)
            return -1;
        if (parse_network(value, &config->trusted_networks[i]) != 0)
            return config_fail(state, list, "access.trusted_networks",
                        "'%s' is not an address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32", value);
        config->trusted_network_count++;
    }
    return count < 0 ? -1 : 0;
}

static int get_countries(struct parse_state *state, const config_setting_t *root,
                         struct phonemfa_config *config)
{
    int count = 0;
    const config_setting_t *list = get_list(state, root, "limits", "countries", CONFIG_MAX_COUNTRIES, &count);

    for (int i = 0; i < count; i++) {
        const config_setting_t *element = config_setting_get_elem(list, (unsigned)i);
        int type = config_setting_type(element);
        if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
            return config_fail(state, list, "limits.countries", "must hold country calling codes (numbers)");
        long long code = config_setting_get_int64(element);
        if (code < 1 || code > 999 || !phone_country_code_is_valid((unsigned)code))
            return config_fail(state, list, "limits.countries", "%lld is not a country calling code", code);
        config->countries[config->country_count++] = (unsigned)code;
    }
    if (list != NULL && count == 0)
        return config_fail(state, list, "limits.countries", "an empty list would refuse every phone");
    return count < 0 ? -1 : 0;
}

/* A list of words, each one of choices; returns their bits (1 << index). */
static int get_word_bits(struct parse_state *state, const config_setting_t *root, const char *group,
                         const char *name, const char *const *choices, unsigned *bits)
{
    char full[128];
    int count = 0;
    const config_setting_t *list = get_list(state, root, group, name, 8, &count);

    (void)snprintf(full, sizeof full, "%s.%s", group, name);
    if (list == NULL)
        return count < 0 ? -1 : 0;
    if (count == 0)
        return config_fail(state, list, full, "must not be empty");
    *bits = 0;
    for (int i = 0; i < count; i++) {
        const char *value = list_string(state, list, i, full);
        if (value == NULL)
            return -1;
        int found = -1;
        for (int k = 0; choices[k] != NULL; k++)
            if (strcmp(value, choices[k]) == 0)
                found = k;
        if (found < 0)
            return config_fail(state, list, full, "'%s' is not one of the allowed words", value);
        *bits |= 1u << found;
    }
    return 0;
}

static int parse_policy(struct parse_state *state, const config_setting_t *root,
                        struct phonemfa_config *config)
{
    static const char *const who[] = {"target", "invoking", NULL};
    static const char *const modes[] = {"off", "ask", "always", NULL};
    static const char *const channels[] = {"text", "call", NULL};
    static const char *const parts[] = {"rhost", "service", "tty", NULL};
    unsigned days = 0;
    int choice;

    choice = (int)config->verify_user;
    if (config_get_choice(state, root, "login", "verify_user", who, &choice) != 0)
        return -1;
    config->verify_user = (enum verify_who)choice;
    if (get_names(state, root, "login", "failmode_safe_groups", &config->failmode_safe_groups) != 0 ||
        config_get_path(state, root, "state", "directory", &config->state_directory) != 0 ||
        config_get_integer(state, root, "lockout", "failures", 0, STATE_MAX_EVENTS, &config->lockout_failures) != 0 ||
        config_get_seconds(state, root, "lockout", "window", 10, 86400 * 7, IN_SECONDS, &config->lockout_window_s) != 0 ||
        config_get_seconds(state, root, "lockout", "duration", 10, 86400 * 7, IN_SECONDS, &config->lockout_duration_s) != 0 ||
        config_get_integer(state, root, "limits", "sends_per_user", 0, STATE_MAX_EVENTS, &config->sends_per_user) != 0 ||
        config_get_seconds(state, root, "limits", "window", 10, 86400 * 7, IN_SECONDS, &config->sends_window_s) != 0 ||
        get_countries(state, root, config) != 0 ||
        get_word_bits(state, root, "limits", "channels", channels, &config->allowed_channels) != 0)
        return -1;
    choice = (int)config->remember_mode;
    if (config_get_choice(state, root, "remember", "mode", modes, &choice) != 0)
        return -1;
    config->remember_mode = (enum remember_mode)choice;
    if (config_get_integer(state, root, "remember", "days", 1, 90, &days) != 0 ||
        get_word_bits(state, root, "remember", "key", parts, &config->remember_parts) != 0)
        return -1;
    if (days != 0)
        config->remember_duration_s = (long)days * 86400;
    /* Under sshd the tty is always "ssh" and the service always "sshd": only
     * the client's address tells one network client from another. */
    if (!(config->remember_parts & REMEMBER_RHOST))
        return config_fail(state, config_member(root, "remember", "key"), "remember.key",
                    "must include \"rhost\": service and tty alone do not tell one client from another");
    static const char *const slots[] = {"primary", "alternate", "office", NULL};
    unsigned self_slots = config->self_service_slots;
    if (get_word_bits(state, root, "setup", "self_service_slots", slots, &self_slots) != 0)
        return -1;
    config->self_service_slots = self_slots;
    const config_setting_t *self_register = config_member(root, "setup", "self_register");
    if (self_register != NULL) {
        if (config_setting_type(self_register) != CONFIG_TYPE_BOOL)
            return config_fail(state, self_register, "setup.self_register", "must be true or false");
        config->self_register = config_setting_get_bool(self_register) != 0;
    }
    if (get_names(state, root, "access", "exempt_users", &config->exempt_users) != 0 ||
        get_names(state, root, "access", "exempt_groups", &config->exempt_groups) != 0 ||
        get_names(state, root, "access", "required_groups", &config->required_groups) != 0 ||
        get_networks(state, root, config) != 0)
        return -1;
    if (config->state_directory == NULL) {
        config->state_directory = strdup(PHONEMFA_DEFAULT_STATE);
        if (config->state_directory == NULL)
            return config_fail(state, NULL, "state.directory", "out of memory");
    }
    return 0;
}

static void set_defaults(struct phonemfa_config *config)
{
    config->provider = PROVIDER_PHONEMFA;
    config->connect_timeout_ms = 5000;
    config->request_timeout_ms = 15000;
    config->code_attempts = 3;
    config->verifications_per_login = 3;
    config->menu_attempts = 3;
    config->call_answer_timeout_ms = 90000;
    config->answer_timeout_ms = 180000;
    config->poll_interval_ms = 2000;
    config->failmode = FAILMODE_SECURE;
    config->unenrolled = UNENROLLED_DENY;
    /* Abuse controls are on unless the administrator turns them off. */
    config->lockout_failures = 5;
    config->lockout_window_s = 900;
    config->lockout_duration_s = 900;
    config->sends_per_user = 10;
    config->sends_window_s = 3600;
    config->allowed_channels = CHANNEL_TEXT | CHANNEL_CALL;
    config->remember_duration_s = 7L * 86400;
    config->remember_parts = REMEMBER_RHOST | REMEMBER_SERVICE;
    config->self_service_slots = (1u << SLOT_ALTERNATE) | (1u << SLOT_OFFICE);
}

static int parse_settings(struct parse_state *state, const config_setting_t *root,
                          struct phonemfa_config *config, char **token_file)
{
    static const char *const providers[] = {"phonemfa", "twilio", NULL};
    static const char *const failmodes[] = {"secure", "safe", NULL};
    static const char *const unenrolled[] = {"deny", "ignore", NULL};
    int choice;

    if (config_setting_get_member(root, "service") == NULL)
        return config_fail(state, NULL, "service", "is required");

    choice = (int)config->provider;
    if (config_get_choice(state, root, "service", "provider", providers, &choice) != 0)
        return -1;
    config->provider = (enum provider_kind)choice;
    if (get_urls(state, root, config) != 0 || load_token(state, root, config, token_file) != 0 ||
        parse_twilio(state, root, config) != 0 ||
        config_get_path(state, root, "service", "ca_file", &config->ca_file) != 0 ||
        config_get_seconds(state, root, "service", "connect_timeout", 0.1, 60, IN_MILLISECONDS, &config->connect_timeout_ms) != 0 ||
        config_get_seconds(state, root, "service", "request_timeout", 0.5, 120, IN_MILLISECONDS, &config->request_timeout_ms) != 0)
        return -1;

    if (config_get_integer(state, root, "login", "code_attempts", 1, 10, &config->code_attempts) != 0 ||
        config_get_integer(state, root, "login", "verifications_per_login", 1, 10,
                    &config->verifications_per_login) != 0 ||
        config_get_integer(state, root, "login", "menu_attempts", 1, 10, &config->menu_attempts) != 0 ||
        config_get_seconds(state, root, "login", "call_answer_timeout", 5, 300, IN_MILLISECONDS,
                    &config->call_answer_timeout_ms) != 0 ||
        config_get_seconds(state, root, "login", "answer_timeout", 5, 3600, IN_MILLISECONDS,
                    &config->answer_timeout_ms) != 0 ||
        config_get_seconds(state, root, "login", "poll_interval", 0.2, 30, IN_MILLISECONDS, &config->poll_interval_ms) != 0)
        return -1;
    choice = (int)config->failmode;
    if (config_get_choice(state, root, "login", "failmode", failmodes, &choice) != 0)
        return -1;
    config->failmode = (enum failmode)choice;
    choice = (int)config->unenrolled;
    if (config_get_choice(state, root, "login", "unenrolled", unenrolled, &choice) != 0)
        return -1;
    config->unenrolled = (enum unenrolled_policy)choice;
    if (config_get_integer(state, root, "login", "default_country_code", 1, 999,
                    &config->default_country_code) != 0)
        return -1;
    if (config->default_country_code != 0 &&
        !phone_country_code_is_valid(config->default_country_code))
        return config_fail(state, config_member(root, "login", "default_country_code"), "login.default_country_code",
                    "%u is not a country calling code", config->default_country_code);
    if (config_get_string(state, root, "login", "locale", 16, false, &config->locale) != 0)
        return -1;
    if (config->locale != NULL && !i18n_tag_is_valid(config->locale))
        return config_fail(state, config_member(root, "login", "locale"), "login.locale",
                    "must be a language tag such as \"en\", \"ja\" or \"pt-BR\"");

    if (config_parse_directory(state, root, config) != 0)
        return -1;
    if (config_get_path(state, root, "store", "directory", &config->store_directory) != 0)
        return -1;
    if (config->store_directory == NULL) {
        config->store_directory = strdup(PHONEMFA_DEFAULT_STORE);
        if (config->store_directory == NULL)
            return config_fail(state, NULL, "store.directory", "out of memory");
    }

    if (parse_policy(state, root, config) != 0)
        return -1;

    if (config_get_string(state, root, "texts", "menu_header", TEXT_SETTING_MAX, true, &config->menu_header) != 0 ||
        config_get_string(state, root, "texts", "menu_footer", TEXT_SETTING_MAX, true, &config->menu_footer) != 0 ||
        config_get_path(state, root, "texts", "translations", &config->translations_directory) != 0)
        return -1;
    if (config->translations_directory == NULL) {
        config->translations_directory = strdup(PHONEMFA_LOCALEDIR);
        if (config->translations_directory == NULL)
            return config_fail(state, NULL, "texts.translations", "out of memory");
    }
    return 0;
}

/* A secret kept in a file of its own (root's, mode 0600 or stricter): one
 * line of printable characters without spaces. */
int config_read_secret(struct parse_state *state, const char *name, const char *file, size_t max_length,
                       const char *what, char **out)
{
    struct safe_file_error file_error;
    size_t length = 0;

    if (safe_read_file(file, CONFIG_SECRET_FILE_MAX, SAFE_FILE_PRIVATE, out, &length, NULL, &file_error) != 0) {
        (void)snprintf(state->error->message, sizeof state->error->message, "%s: %s: %s", state->path, name,
                       file_error.message);
        return -1;
    }
    while (length > 0 && ((*out)[length - 1] == '\n' || (*out)[length - 1] == '\r'))
        (*out)[--length] = '\0';
    if (length == 0 || length > max_length || !config_clean_text(*out, false)) {
        (void)snprintf(state->error->message, sizeof state->error->message,
                       "%s: %s: %s must hold one %s line of printable characters without spaces", state->path,
                       name, file, what);
        return -1;
    }
    return 0;
}

/* libconfig 1.5 offers no way to refuse @include, and an included file
 * would escape every ownership check made here. */
static int refuse_includes(struct parse_state *state, const char *text)
{
    unsigned line = 1;
    const char *p = text;

    while (*p != '\0') {
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncmp(q, "@include", 8) == 0) {
            (void)snprintf(state->error->message, sizeof state->error->message,
                           "%s:%u: @include is not allowed: keep the configuration in one file",
                           state->path, line);
            return -1;
        }
        const char *newline = strchr(p, '\n');
        if (newline == NULL)
            break;
        p = newline + 1;
        line++;
    }
    return 0;
}

/* libconfig 1.5 leaks the buffer of a string literal that stands where it
 * cannot ("x"; as a statement, "a", "b" outside a list): the parser's error
 * recovery drops it. Such text is a syntax error anyway, so it is refused
 * here before libconfig sees it. A string may follow '=' or ':', open a
 * list or array, follow a ',' inside one, or another string (libconfig
 * joins adjacent strings). */
#define NESTING_MAX 64

static int refuse_misplaced_strings(struct parse_state *state, const char *text)
{
    char open[NESTING_MAX];
    size_t depth = 0;
    unsigned line = 1;
    char previous = ';'; /* the start of a statement */

    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n')
            line++;
        if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (p[1] != '\0' && p[1] != '\n')
                p++;
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            if (*p == '\0')
                break;
            p++;
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            continue;
        if (*p == '"') {
            bool in_list = depth > 0 && (open[depth - 1] == '[' || open[depth - 1] == '(');
            bool value_position = previous == '=' || previous == ':' || previous == '[' || previous == '(' ||
                                  previous == '"' || (previous == ',' && in_list);
            if (!value_position) {
                (void)snprintf(state->error->message, sizeof state->error->message,
                               "%s:%u: syntax error: a string where none may stand", state->path, line);
                return -1;
            }
            for (p++; *p != '\0' && *p != '"'; p++) {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                else if (*p == '\n')
                    line++;
            }
            if (*p == '\0')
                break; /* unterminated: libconfig says so */
            previous = '"';
            continue;
        }
        if (*p == '[' || *p == '(' || *p == '{') {
            if (depth == NESTING_MAX) {
                (void)snprintf(state->error->message, sizeof state->error->message,
                               "%s:%u: syntax error: nested too deeply", state->path, line);
                return -1;
            }
            open[depth++] = *p;
        } else if ((*p == ']' || *p == ')' || *p == '}') && depth > 0) {
            depth--;
        }
        previous = *p;
    }
    return 0;
}

int config_parse_text(const char *path, const char *text, struct phonemfa_config **out,
                      struct config_error *error)
{
    struct parse_state state = {.path = path, .error = error};
    struct phonemfa_config *config = calloc(1, sizeof *config);
    char *token_file = NULL;
    config_t parsed;
    int result = -1;

    config_init(&parsed);
    if (config == NULL) {
        (void)snprintf(error->message, sizeof error->message, "%s: out of memory", path);
        goto out;
    }
    set_defaults(config);
    config->path = strdup(path);
    if (config->path == NULL) {
        (void)snprintf(error->message, sizeof error->message, "%s: out of memory", path);
        goto out;
    }
    if (refuse_includes(&state, text) != 0 || refuse_misplaced_strings(&state, text) != 0)
        goto out;
    if (config_read_string(&parsed, text) != CONFIG_TRUE) {
        (void)snprintf(error->message, sizeof error->message, "%s:%d: syntax error: %s", path,
                       config_error_line(&parsed), config_error_text(&parsed));
        goto out;
    }
    const config_setting_t *root = config_root_setting(&parsed);
    if (check_schema(&state, root) != 0 || parse_settings(&state, root, config, &token_file) != 0)
        goto out;

    if (token_file != NULL && config_read_secret(&state, "service.token_file", token_file, TOKEN_MAX, "token", &config->token) != 0)
        goto out;
    *out = config;
    config = NULL;
    result = 0;
out:
    config_destroy(&parsed);
    free(token_file);
    config_free(config);
    return result;
}

int config_load(const char *path, struct phonemfa_config **config, struct config_error *error)
{
    struct safe_file_error file_error;
    char *text = NULL;
    size_t length = 0;
    unsigned mode = 0;

    if (safe_read_file(path, CONFIG_FILE_MAX, SAFE_FILE_READABLE_BY_OTHERS_OK, &text, &length,
                       &mode, &file_error) != 0) {
        (void)snprintf(error->message, sizeof error->message, "%s", file_error.message);
        return -1;
    }
    struct phonemfa_config *loaded = NULL;
    int result = config_parse_text(path, text, &loaded, error);
    secure_free_buffer(text, length);
    if (result != 0)
        return -1;
    if (loaded->token_is_inline && (mode & (S_IRWXG | S_IRWXO)) != 0) {
        /* token_file was checked by safe_read_file itself. */
        (void)snprintf(error->message, sizeof error->message,
                       "%s: holds service.token but group or others have access (mode %04o): "
                       "chmod 600 it or move the token to service.token_file", path, mode);
        config_free(loaded);
        return -1;
    }
    *config = loaded;
    return 0;
}

void config_free(struct phonemfa_config *config)
{
    if (config == NULL)
        return;
    free(config->path);
    for (size_t i = 0; i < config->url_count; i++)
        free(config->urls[i]);
    secure_free_string(config->token);
    free(config->ca_file);
    free(config->twilio_service_sid);
    free(config->twilio_account_sid);
    free(config->twilio_api_key_sid);
    free(config->locale);
    config_free_directory(config);
    free(config->store_directory);
    free(config->state_directory);
    const struct name_list *lists[] = {&config->failmode_safe_groups, &config->exempt_users,
                                       &config->exempt_groups, &config->required_groups};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (size_t i = 0; i < lists[l]->count; i++)
            free(lists[l]->names[i]);
    free(config->menu_header);
    free(config->translations_directory);
    free(config->menu_footer);
    free(config);
}
