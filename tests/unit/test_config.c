#include "unit_helpers.h"

#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define MINIMAL "service: { urls = [\"https://mfa.example.com/api/\"]; token = \"t0ken\"; };\n"

static struct phonemfa_config *parse_ok(const char *text)
{
    struct phonemfa_config *config = NULL;
    struct config_error error;
    if (config_parse_text("/etc/phonemfa/phonemfa.conf", text, &config, &error) != 0)
        fail_msg("unexpected error: %s", error.message);
    return config;
}

static void parse_error(const char *text, const char *expected)
{
    struct phonemfa_config *config = NULL;
    struct config_error error;
    if (config_parse_text("/etc/phonemfa/phonemfa.conf", text, &config, &error) == 0)
        fail_msg("accepted: %s", text);
    assert_null(config);
    assert_contains(error.message, expected);
}

static void defaults_are_the_safe_ones(void **state)
{
    (void)state;
    struct phonemfa_config *config = parse_ok(MINIMAL);
    assert_int_equal(config->failmode, FAILMODE_SECURE);
    assert_int_equal(config->unenrolled, UNENROLLED_DENY);
    assert_int_equal(config->code_attempts, 3);
    assert_int_equal(config->verifications_per_login, 3);
    assert_int_equal(config->connect_timeout_ms, 5000);
    assert_int_equal(config->request_timeout_ms, 15000);
    assert_int_equal(config->call_answer_timeout_ms, 90000);
    assert_string_equal(config->store_directory, "/var/lib/phonemfa");
    assert_string_equal(config->urls[0], "https://mfa.example.com/api");
    assert_int_equal(config->url_count, 1);
    assert_string_equal(config->token, "t0ken");
    assert_null(config->menu_header);
    config_free(config);
}

static void reads_every_setting(void **state)
{
    (void)state;
    struct phonemfa_config *config = parse_ok(
        "service: { provider = \"phonemfa\"; urls = [\"https://a.example\", \"https://b.example:8443/x\"];\n"
        "  token = \"abc\"; ca_file = \"/etc/ssl/ca.pem\"; connect_timeout = 1.5; request_timeout = 20; };\n"
        "login: { code_attempts = 5; verifications_per_login = 2; menu_attempts = 4;\n"
        "  call_answer_timeout = 60; poll_interval = 0.5; failmode = \"safe\"; unenrolled = \"ignore\";\n"
        "  default_country_code = 44; locale = \"pt-BR\"; };\n"
        "store: { directory = \"/srv/phones\"; };\n"
        "texts: { menu_header = \"Second factor:\"; menu_footer = \"Help: x4357\"; };\n");
    assert_int_equal(config->url_count, 2);
    assert_string_equal(config->urls[1], "https://b.example:8443/x");
    assert_string_equal(config->ca_file, "/etc/ssl/ca.pem");
    assert_int_equal(config->connect_timeout_ms, 1500);
    assert_int_equal(config->poll_interval_ms, 500);
    assert_int_equal(config->failmode, FAILMODE_SAFE);
    assert_int_equal(config->unenrolled, UNENROLLED_IGNORE);
    assert_int_equal(config->default_country_code, 44);
    assert_string_equal(config->locale, "pt-BR");
    assert_string_equal(config->store_directory, "/srv/phones");
    assert_string_equal(config->menu_footer, "Help: x4357");
    config_free(config);
}

static void errors_name_file_line_and_setting(void **state)
{
    (void)state;
    parse_error(MINIMAL "login: {\n  code_attemps = 3;\n};\n",
                "/etc/phonemfa/phonemfa.conf:3: setting 'login.code_attemps': unknown setting");
    parse_error(MINIMAL "login: { code_attempts = 11; };",
                ":2: setting 'login.code_attempts': must be from 1 to 10");
    parse_error(MINIMAL "login: { code_attempts = 2.5; };", "must be a whole number");
    parse_error(MINIMAL "login: { poll_interval = \"2\"; };", "must be a number of seconds");
    parse_error(MINIMAL "login: { failmode = \"SAFE\"; };", "must be one of: secure, safe");
    parse_error(MINIMAL "login: { locale = \"\"; };", "must not be empty");
    parse_error(MINIMAL "login = 3;", "setting 'login': must be a group");
    parse_error(MINIMAL "store: { directory = \"var/lib\"; };", "must be an absolute path");
    parse_error(MINIMAL "login: { code_attempts = ; };", ":2: syntax error");
    parse_error(MINIMAL "  @include \"x.conf\"\n", ":2: @include is not allowed");
    parse_error("login: { };", "setting 'service': is required");
}

static void service_settings_are_checked(void **state)
{
    (void)state;
    parse_error("service: { token = \"t\"; };", "setting 'service.urls': is required");
    parse_error("service: { urls = \"https://a\"; token = \"t\"; };", "must be a list of strings");
    parse_error("service: { urls = []; token = \"t\"; };", "must hold 1 to 4 URLs");
    parse_error("service: { urls = [\"https://a\",\"https://b\",\"https://c\",\"https://d\",\"https://e\"]; token = \"t\"; };",
                "must hold 1 to 4 URLs");
    parse_error("service: { urls = [\"http://a\"]; token = \"t\"; };", "is not an https:// URL");
    parse_error("service: { urls = [\"HTTPS://a\"]; token = \"t\"; };", "is not an https:// URL");
    parse_error("service: { urls = [\"https://a?x=1\"]; token = \"t\"; };", "may not contain");
    parse_error("service: { urls = [\"https://a\"]; };", "'service.token_file': is required");
    parse_error("service: { urls = [\"https://a\"]; token = \"t\"; token_file = \"/t\"; };",
                "set either token or token_file, not both");
    parse_error("service: { urls = [\"https://a\"]; token = \"has space\"; };", "control characters or spaces");
    parse_error("service: { urls = [\"https://a\"]; token = \"t\"; provider = \"twillio\"; };",
                "'service.provider': must be one of: phonemfa, twilio");
    parse_error("service: { urls = [\"https://a\"]; token = \"t\"; connect_timeout = 0; };",
                "'service.connect_timeout': must be from 0.1 to 60 seconds");
}

#define VA "VA0123456789abcdef0123456789abcdef"
#define SK "SK0123456789abcdef0123456789abcdef"
#define AC "AC0123456789abcdef0123456789abcdef"

static void twilio_settings(void **state)
{
    (void)state;
    struct phonemfa_config *config = parse_ok(
        "service: { provider = \"twilio\"; token = \"secret\"; };\n"
        "twilio: { service_sid = \"" VA "\"; api_key_sid = \"" SK "\"; };\n");
    assert_int_equal(config->provider, PROVIDER_TWILIO);
    assert_string_equal(config->urls[0], "https://verify.twilio.com");
    assert_string_equal(config->twilio_service_sid, VA);
    assert_string_equal(config->twilio_api_key_sid, SK);
    assert_null(config->twilio_account_sid);
    config_free(config);

    parse_error("service: { provider = \"twilio\"; token = \"s\"; };",
                "setting 'twilio': is required with service.provider = \"twilio\"");
    parse_error("service: { provider = \"twilio\"; token = \"s\"; }; twilio: { api_key_sid = \"" SK "\"; };",
                "'twilio.service_sid': is required");
    parse_error("service: { provider = \"twilio\"; token = \"s\"; }; twilio: { service_sid = \"" VA "\"; };",
                "set exactly one of twilio.api_key_sid (recommended) and twilio.account_sid");
    parse_error("service: { provider = \"twilio\"; token = \"s\"; }; twilio: { service_sid = \"" VA "\";"
                " api_key_sid = \"" SK "\"; account_sid = \"" AC "\"; };",
                "set exactly one of");
    parse_error("service: { provider = \"twilio\"; token = \"s\"; }; twilio: { service_sid = \"VA123\";"
                " api_key_sid = \"" SK "\"; };",
                "'twilio.service_sid': must be VA followed by 32 hexadecimal digits");
    parse_error("service: { provider = \"twilio\"; token = \"s\"; }; twilio: { service_sid = \"" VA "\";"
                " api_key_sid = \"" AC "\"; };",
                "'twilio.api_key_sid': must be SK followed by 32 hexadecimal digits");
    parse_error(MINIMAL "twilio: { service_sid = \"" VA "\"; };",
                "setting 'twilio': is only used with service.provider = \"twilio\"");
    parse_error("service: { provider = \"twilio\"; token = \"s\"; }; twilio: { service_sid = \"" VA "\";"
                " api_key_sid = \"" SK "\"; region = \"ie1\"; };",
                "setting 'twilio.region': unknown setting");
}

static void policy_settings(void **state)
{
    (void)state;
    struct phonemfa_config *config = parse_ok(
        MINIMAL "login: { verify_user = \"invoking\"; failmode_safe_groups = [ \"wheel\" ]; };\n"
        "state: { directory = \"/srv/state\"; };\n"
        "lockout: { failures = 5; window = 600; duration = 1200; };\n"
        "limits: { sends_per_user = 10; window = 3600; countries = [ 1, 44 ]; channels = [ \"call\" ]; };\n"
        "remember: { mode = \"ask\"; days = 3; key = [ \"rhost\", \"tty\" ]; };\n"
        "access: { exempt_users = [ \"svc\" ]; required_groups = [ \"staff\" ];\n"
        "  trusted_networks = [ \"10.0.0.0/8\", \"192.0.2.7\", \"2001:db8::/32\" ]; };\n");
    assert_int_equal(config->verify_user, VERIFY_INVOKING_USER);
    assert_string_equal(config->failmode_safe_groups.names[0], "wheel");
    assert_string_equal(config->state_directory, "/srv/state");
    assert_int_equal(config->lockout_failures, 5);
    assert_int_equal(config->lockout_window_s, 600);
    assert_int_equal(config->lockout_duration_s, 1200);
    assert_int_equal(config->sends_window_s, 3600);
    assert_int_equal(config->country_count, 2);
    assert_int_equal(config->countries[1], 44);
    assert_int_equal(config->allowed_channels, 2);
    assert_int_equal(config->remember_mode, REMEMBER_ASK);
    assert_int_equal(config->remember_duration_s, 3 * 86400);
    assert_int_equal(config->remember_parts, REMEMBER_RHOST | REMEMBER_TTY);
    assert_int_equal(config->trusted_network_count, 3);
    assert_int_equal(config->trusted_networks[0].prefix_length, 8);
    assert_int_equal(config->trusted_networks[1].prefix_length, 32);
    assert_int_equal(config->trusted_networks[2].prefix_length, 32);
    config_free(config);

    /* Abuse controls are on by default. */
    config = parse_ok(MINIMAL);
    assert_int_equal(config->lockout_failures, 5);
    assert_int_equal(config->lockout_window_s, 900);
    assert_int_equal(config->lockout_duration_s, 900);
    assert_int_equal(config->sends_per_user, 10);
    assert_int_equal(config->sends_window_s, 3600);
    assert_int_equal(config->remember_mode, REMEMBER_OFF);
    assert_string_equal(config->state_directory, "/var/lib/phonemfa/state");
    config_free(config);

    parse_error(MINIMAL "access: { trusted_networks = [ \"10.0.0.0/33\" ]; };", "is not an address or CIDR range");
    /* libconfig 1.5 leaked the string of each of these syntax errors. */
    parse_error(MINIMAL "\"x\";", "a string where none may stand");
    parse_error("\"\"", "a string where none may stand");
    parse_error(MINIMAL "login: { code_attempts = 3; }; \"a\", \"b\";", "a string where none may stand");
    parse_error("service: { urls = \"https://a\", \"https://b\" ]; token = \"t\"; };",
                "a string where none may stand");
    config = parse_ok(MINIMAL "texts: { menu_header = \"Verify \" \"it\"; }; /* \"x\"; */ # \"y\";\n");
    assert_string_equal(config->menu_header, "Verify it");
    config_free(config);
    /* strtoul took these for /0 (every address), /8 and /2. */
    static const char *const bad_prefixes[] = {"/-0", "/ 8", "/+2", "/", "/08x", "/0128"};
    for (size_t i = 0; i < sizeof bad_prefixes / sizeof bad_prefixes[0]; i++) {
        char text[256];
        (void)snprintf(text, sizeof text, MINIMAL "access: { trusted_networks = [ \"10.0.0.0%s\" ]; };",
                       bad_prefixes[i]);
        parse_error(text, "is not an address or CIDR range");
    }
    parse_error(MINIMAL "access: { trusted_networks = [ \"intranet.example\" ]; };", "is not an address");
    parse_error(MINIMAL "access: { exempt_users = [ \"../root\" ]; };", "is not a valid user or group name");
    parse_error(MINIMAL "access: { exempt_users = \"root\"; };", "must be a list");
    parse_error(MINIMAL "limits: { countries = [ 35 ]; };", "35 is not a country calling code");
    parse_error(MINIMAL "limits: { countries = [ ]; };", "an empty list would refuse every phone");
    parse_error(MINIMAL "limits: { channels = [ \"fax\" ]; };", "'fax' is not one of the allowed words");
    parse_error(MINIMAL "limits: { channels = [ ]; };", "must not be empty");
    parse_error(MINIMAL "remember: { mode = \"forever\"; };", "must be one of: off, ask, always");
    parse_error(MINIMAL "remember: { days = 365; };", "must be from 1 to 90");
    parse_error(MINIMAL "login: { verify_user = \"caller\"; };", "must be one of: target, invoking");
    parse_error(MINIMAL "lockout: { window = 1; };", "must be from 10 to 604800 seconds");
    /* The state keeps at most 200 events per kind: a larger limit would be a silent cap. */
    parse_error(MINIMAL "limits: { sends_per_user = 201; };", "must be from 0 to 200");
    parse_error(MINIMAL "lockout: { failures = 1000; };", "must be from 0 to 200");
    config = parse_ok(MINIMAL "limits: { sends_per_user = 200; }; lockout: { failures = 0; };");
    assert_int_equal(config->sends_per_user, 200);
    assert_int_equal(config->lockout_failures, 0);
    config_free(config);
    /* Under sshd tty is "ssh" and service "sshd" for every client. */
    parse_error(MINIMAL "remember: { mode = \"ask\"; key = [ \"service\", \"tty\" ]; };",
                "setting 'remember.key': must include \"rhost\": service and tty alone do not tell one client from another");
}

/* config_load: the file checks. */
static char directory[] = "/tmp/phonemfa-unit-XXXXXX";

static int make_directory(void **state)
{
    (void)state;
    return mkdtemp(directory) == NULL ? -1 : 0;
}

static int remove_directory(void **state)
{
    (void)state;
    char command[128];
    (void)snprintf(command, sizeof command, "rm -rf %s", directory);
    return system(command) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[256];
    (void)snprintf(path, sizeof path, "%s/%s", directory, name);
    (void)unlink(path);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void load_checks_ownership_and_mode(void **state)
{
    (void)state;
    struct phonemfa_config *config = NULL;
    struct config_error error;
    const char *path;

    if (geteuid() != 0)
        fail_msg("these checks need root (files must be root-owned)");
    path = write_file("ok.conf", MINIMAL, 0600);
    assert_int_equal(config_load(path, &config, &error), 0);
    config_free(config);
    config = NULL;

    path = write_file("shared.conf", MINIMAL, 0644);
    assert_int_equal(config_load(path, &config, &error), -1);
    assert_contains(error.message, "holds service.token but group or others have access (mode 0644)");

    path = write_file("writable.conf", MINIMAL, 0620);
    assert_int_equal(config_load(path, &config, &error), -1);
    assert_contains(error.message, "writable by group or others (mode 0620)");

    path = write_file("nobody.conf", MINIMAL, 0600);
    assert_int_equal(chown(path, 65534, 65534), 0);
    assert_int_equal(config_load(path, &config, &error), -1);
    assert_contains(error.message, "not owned by root (owner uid 65534)");

    char link_path[300];
    (void)snprintf(link_path, sizeof link_path, "%s/link.conf", directory);
    assert_int_equal(symlink("ok.conf", link_path), 0);
    assert_int_equal(config_load(link_path, &config, &error), -1);
    assert_contains(error.message, "link.conf: is a symlink");

    assert_int_equal(config_load("relative.conf", &config, &error), -1);
    assert_contains(error.message, "not an absolute path");
    assert_null(config);
}

static void token_file_must_be_private(void **state)
{
    (void)state;
    struct phonemfa_config *config = NULL;
    struct config_error error;
    char text[512];

    const char *token_path = write_file("token", "s3cret\n", 0600);
    char saved_token_path[256];
    (void)snprintf(saved_token_path, sizeof saved_token_path, "%s", token_path);
    (void)snprintf(text, sizeof text,
                   "service: { urls = [\"https://a\"]; token_file = \"%s\"; };", saved_token_path);
    const char *path = write_file("with-token-file.conf", text, 0644);
    char saved_path[256];
    (void)snprintf(saved_path, sizeof saved_path, "%s", path);
    assert_int_equal(config_load(saved_path, &config, &error), 0);
    assert_string_equal(config->token, "s3cret");
    config_free(config);
    config = NULL;

    assert_int_equal(chmod(saved_token_path, 0604), 0);
    assert_int_equal(config_load(saved_path, &config, &error), -1);
    assert_contains(error.message, "holds a secret but group or others have access (mode 0604); it must be mode 0600");
    /* A group may hold users who are not root. */
    assert_int_equal(chmod(saved_token_path, 0640), 0);
    assert_int_equal(config_load(saved_path, &config, &error), -1);
    assert_contains(error.message, "(mode 0640); it must be mode 0600");

    write_file("token", "two words\n", 0600);
    assert_int_equal(config_load(saved_path, &config, &error), -1);
    assert_contains(error.message, "must hold one token line");
}

/* -- where phones come from ------------------------------------------------------- */

static void secret_file(const char *name, const char *content)
{
    (void)write_file(name, content, 0600);
}

static void files_is_the_default_directory(void **state)
{
    (void)state;
    struct phonemfa_config *config = parse_ok(MINIMAL);
    assert_int_equal(config->directory, DIRECTORY_FILES);
    assert_null(config->directory_managed_by);
    config_free(config);
    parse_error(MINIMAL "directory: { backend = \"nis\"; };", "'directory.backend': must be one of: files, ldap, entra");
    parse_error(MINIMAL "ldap: { base = \"x\"; };", "'ldap': is only used with directory.backend = \"ldap\"");
    parse_error(MINIMAL "entra: { tenant = \"x\"; };", "'entra': is only used with directory.backend = \"entra\"");
    parse_error(MINIMAL "directory: { backend = \"ldap\"; };", "'ldap': is required with directory.backend = \"ldap\"");
    parse_error(MINIMAL "directory: { cache_hours = 2; };", "'directory.cache_hours': is only used with");
    parse_error(MINIMAL "directory: { domain = \"corp..example\"; };", "'directory.domain': must be a DNS domain");
    parse_error(MINIMAL "directory: { backend = \"entra\"; cache_hours = 721; };",
                "'directory.cache_hours': must be from 1 to 720");
}

static void ldap_settings_with_ad_and_freeipa_defaults(void **state)
{
    (void)state;
    secret_file("ldap-password", "s3cret-pw\n");
    char text[2048];
    (void)snprintf(text, sizeof text,
                   MINIMAL "directory: { backend = \"ldap\"; managed_by = \"the IT service desk, x4357\"; };\n"
                           "ldap: { uris = [\"ldaps://dc1.example.com\", \"ldap://dc2.example.com:389/\"];\n"
                           "  ca_file = \"/etc/phonemfa/ldap-ca.pem\"; bind_dn = \"cn=svc,dc=example,dc=com\";\n"
                           "  bind_password_file = \"%s/ldap-password\"; base = \"cn=Users,dc=example,dc=com\";\n"
                           "  filter = \"(&(objectClass=user)(sAMAccountName=%%l))\"; office = \"none\"; };\n",
                   directory);
    struct phonemfa_config *config = parse_ok(text);
    assert_int_equal(config->directory, DIRECTORY_LDAP);
    assert_string_equal(config->directory_managed_by, "the IT service desk, x4357");
    assert_int_equal(config->ldap.uri_count, 2);
    assert_string_equal(config->ldap.uris[1], "ldap://dc2.example.com:389");
    assert_string_equal(config->ldap.bind_password, "s3cret-pw");
    assert_false(config->ldap.sasl_external);
    assert_int_equal(config->ldap.scope, LDAP_SEARCH_SUB);
    assert_string_equal(config->ldap.attributes[0], "mobile");
    assert_string_equal(config->ldap.attributes[1], "otherMobile");
    assert_null(config->ldap.attributes[2]);
    assert_null(config->ldap.write_bind_dn);
    assert_int_equal(config->ldap.timeout_ms, 5000);
    assert_string_equal(config->store_directory, "/var/lib/phonemfa"); /* state lives beside it */
    config_free(config);
}

static void ldap_settings_are_checked(void **state)
{
    (void)state;
    const char *head = MINIMAL "directory: { backend = \"ldap\"; };\nldap: { ca_file = \"/ca.pem\"; "
                               "bind = \"sasl_external\"; client_certificate = \"/c.pem\"; client_key = \"/k.pem\"; "
                               "base = \"dc=x\"; ";
    char text[2048];
#define LDAP_ERROR(rest, expected)                                                  \
    do {                                                                            \
        (void)snprintf(text, sizeof text, "%s%s };", head, rest);                   \
        parse_error(text, expected);                                                \
    } while (0)
    LDAP_ERROR("filter = \"(uid=%u)\";", "'ldap.uris': is required");
    LDAP_ERROR("uris = [\"ldapi:///run/slapd\"]; filter = \"(uid=%u)\";", "is not an ldaps:// or ldap:// URI");
    LDAP_ERROR("uris = [\"ldaps://a?x\"]; filter = \"(uid=%u)\";", "may not contain");
    LDAP_ERROR("uris = [\"ldaps://a/dc=x\"]; filter = \"(uid=%u)\";", "give the base, scope and filter as ldap.base");
    LDAP_ERROR("uris = [\"ldaps://\"]; filter = \"(uid=%u)\";", "has no host");
    LDAP_ERROR("uris = [\"ldaps://a\"];", "'ldap.filter': is required");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"uid=%u\";", "must be one filter in parentheses");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u))(x=y\";", "must be one filter in parentheses");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%s)\";", "may use only %u");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%d)\";", "must contain %u or %l");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u)\"; primary = \"mob_ile\";", "must be an attribute name");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u)\"; primary = \"1.2..3\";", "must be an attribute name");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u)\"; primary = \"none\"; alternate = \"none\"; "
               "office = \"none\";", "at least one of primary, alternate and office");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u)\"; bind_dn = \"cn=x\";", "is not used with ldap.bind");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u)\"; write_bind_dn = \"cn=w\";",
               "set both ldap.write_bind_dn and ldap.write_bind_password_file");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u)\"; scope = \"subtree\";", "must be one of: base, one, sub");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u)\"; timeout = 0;", "'ldap.timeout': must be from 1 to 60");
    LDAP_ERROR("uris = [\"ldaps://a\"]; filter = \"(uid=%u)\"; store_dir = 1;", "'ldap.store_dir': unknown setting");
#undef LDAP_ERROR
    parse_error(MINIMAL "directory: { backend = \"ldap\"; };\nldap: { uris = [\"ldaps://a\"]; base = \"dc=x\"; "
                        "filter = \"(uid=%u)\"; bind_dn = \"cn=x\"; bind_password_file = \"/none\"; };",
                "'ldap.ca_file': is required");
    parse_error(MINIMAL "directory: { backend = \"ldap\"; };\nldap: { uris = [\"ldaps://a\"]; base = \"dc=x\"; "
                        "ca_file = \"/ca.pem\"; filter = \"(uid=%u)\"; };",
                "ldap.bind_dn and ldap.bind_password_file are required");
    parse_error(MINIMAL "directory: { backend = \"ldap\"; };\nstore: { directory = \"/srv\"; };\n",
                "'store.directory': is only used with directory.backend = \"files\"");
    (void)snprintf(text, sizeof text, "%suris = [\"ldaps://a\"]; filter = \"(uid=%%u)\"; };", head);
    struct phonemfa_config *config = parse_ok(text);
    assert_true(config->ldap.sasl_external);
    assert_string_equal(config->ldap.client_cert, "/c.pem");
    config_free(config);
}

static void entra_settings(void **state)
{
    (void)state;
    secret_file("entra-secret", "Abc~def.ghi_jkl\n");
    char text[2048];
    (void)snprintf(text, sizeof text,
                   MINIMAL "directory: { backend = \"entra\"; };\n"
                           "entra: { tenant = \"contoso.onmicrosoft.com\"; client_id = "
                           "\"11111111-2222-3333-4444-555555555555\"; client_secret_file = \"%s/entra-secret\"; "
                           "user = \"%%l@contoso.com\"; graph_url = \"https://127.0.0.1:8443/\"; write = true; };\n",
                   directory);
    struct phonemfa_config *config = parse_ok(text);
    assert_int_equal(config->directory, DIRECTORY_ENTRA);
    assert_string_equal(config->entra.client_secret, "Abc~def.ghi_jkl");
    assert_string_equal(config->entra.user_template, "%l@contoso.com");
    assert_string_equal(config->entra.authority_url, "https://login.microsoftonline.com");
    assert_string_equal(config->entra.graph_url, "https://127.0.0.1:8443");
    assert_true(config->entra.write);
    assert_int_equal(config->entra.timeout_ms, 5000);
    assert_int_equal(config->directory_cache_s, 0);
    assert_string_equal(config->directory_cache_path, "/var/lib/phonemfa/cache");
    config_free(config);

    const char *head = MINIMAL "directory: { backend = \"entra\"; };\nentra: { ";
#define ENTRA_ERROR(rest, expected)                                                 \
    do {                                                                            \
        (void)snprintf(text, sizeof text, "%s%s };", head, rest);                   \
        parse_error(text, expected);                                                \
    } while (0)
    ENTRA_ERROR("client_id = \"11111111-2222-3333-4444-555555555555\";", "'entra.tenant': is required");
    ENTRA_ERROR("tenant = \"../x\"; client_id = \"11111111-2222-3333-4444-555555555555\";",
                "'entra.tenant': is required: the tenant ID");
    ENTRA_ERROR("tenant = \"t\"; client_id = \"app\";", "'entra.client_id': is required: the application (client) ID");
    ENTRA_ERROR("tenant = \"t\"; client_id = \"11111111-2222-3333-4444-555555555555\";",
                "'entra.client_secret_file': set exactly one");
    ENTRA_ERROR("tenant = \"t\"; client_id = \"11111111-2222-3333-4444-555555555555\"; "
                "client_certificate = \"/c.pem\";", "set both entra.client_certificate and entra.client_key");
    ENTRA_ERROR("tenant = \"t\"; user = \"%x\";", "may use only %u");
    ENTRA_ERROR("tenant = \"t\"; graph_url = \"http://graph\";", "must be an https:// URL");
    ENTRA_ERROR("tenant = \"t\"; write = \"yes\";", "'entra.write': must be true or false");
#undef ENTRA_ERROR
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_safe_ones),
        cmocka_unit_test(reads_every_setting),
        cmocka_unit_test(errors_name_file_line_and_setting),
        cmocka_unit_test(service_settings_are_checked),
        cmocka_unit_test(twilio_settings),
        cmocka_unit_test(policy_settings),
        cmocka_unit_test(load_checks_ownership_and_mode),
        cmocka_unit_test(token_file_must_be_private),
        cmocka_unit_test(files_is_the_default_directory),
        cmocka_unit_test(ldap_settings_with_ad_and_freeipa_defaults),
        cmocka_unit_test(ldap_settings_are_checked),
        cmocka_unit_test(entra_settings),
    };
    return cmocka_run_group_tests_name("config", tests, make_directory, remove_directory);
}
