/* The administrator's configuration (/etc/phonemfa/phonemfa.conf). Loading
 * is strict: any unknown setting, wrong type, out-of-range value or unsafe
 * file is an error naming the file, line and setting. */
#ifndef PHONEMFA_CONFIG_H
#define PHONEMFA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define PHONEMFA_DEFAULT_CONFIG "/etc/phonemfa/phonemfa.conf"
#define PHONEMFA_DEFAULT_STORE "/var/lib/phonemfa"
/* phonemfa-setup's own PAM stack lives here, not in /etc/pam.d: only
 * phonemfad reads it, so a removed package never leaves a stack in
 * /etc/pam.d naming a module that is gone (its @include lines still resolve
 * in /etc/pam.d). */
#define PHONEMFA_PAM_CONFDIR "/etc/phonemfa/pam.d"
#define CONFIG_MAX_URLS 4
#define CONFIG_MAX_NAMES 32    /* users or groups in one list */
#define CONFIG_MAX_NETWORKS 32
#define CONFIG_MAX_COUNTRIES 64
#define PHONEMFA_DEFAULT_STATE "/var/lib/phonemfa/state"
#define PHONEMFA_DEFAULT_CACHE "/var/lib/phonemfa/cache"
#define CONFIG_ERROR_MAX 768
#define CONFIG_FILE_MAX (256 * 1024)
#define CONFIG_SECRET_FILE_MAX 4096

enum failmode { FAILMODE_SECURE, FAILMODE_SAFE };
enum directory_backend { DIRECTORY_FILES, DIRECTORY_LDAP, DIRECTORY_ENTRA };
enum unenrolled_policy { UNENROLLED_DENY, UNENROLLED_IGNORE };
enum provider_kind { PROVIDER_PHONEMFA, PROVIDER_TWILIO };

#define TWILIO_DEFAULT_URL "https://verify.twilio.com"
#define TWILIO_SID_LENGTH 34

enum verify_who { VERIFY_TARGET_USER, VERIFY_INVOKING_USER };
enum remember_mode { REMEMBER_OFF, REMEMBER_ASK, REMEMBER_ALWAYS };
enum remember_part { REMEMBER_RHOST = 1u << 0, REMEMBER_SERVICE = 1u << 1, REMEMBER_TTY = 1u << 2 };

struct name_list {
    char *names[CONFIG_MAX_NAMES];
    size_t count;
};

struct network {
    int family; /* AF_INET or AF_INET6 */
    unsigned char address[16];
    unsigned prefix_length;
};

#define CONFIG_MAX_LDAP_URIS 8
#define CONFIG_DIRECTORY_SLOTS 3 /* primary, alternate, office (enum phone_slot) */
enum ldap_search_scope { LDAP_SEARCH_BASE, LDAP_SEARCH_ONE, LDAP_SEARCH_SUB };

/* directory.backend = "ldap": the organisation's LDAP directory (AD,
 * OpenLDAP, FreeIPA). Secrets are wiped on free. */
struct ldap_settings {
    char *uris[CONFIG_MAX_LDAP_URIS]; /* ldaps://, or ldap:// with StartTLS always required */
    size_t uri_count;
    char *ca_file;
    bool sasl_external;              /* bind with the client certificate instead of a DN and password */
    char *bind_dn;
    char *bind_password;
    char *client_cert;
    char *client_key;
    char *base;
    enum ldap_search_scope scope;
    char *filter;                    /* template: %u, %l, %d, %% */
    char *attributes[CONFIG_DIRECTORY_SLOTS]; /* NULL: that slot is not read */
    bool details;                    /* channels, verification and preferred method in the phonemfa schema */
    char *language_attribute;        /* the user's language (preferredLanguage); NULL: not read */
    char *write_bind_dn;             /* NULL: the directory is read-only for phonemfa */
    char *write_bind_password;
    long timeout_ms;                 /* connect, bind and each search */
};

/* directory.backend = "entra": Microsoft Entra ID through Microsoft Graph. */
struct entra_settings {
    char *tenant;
    char *client_id;
    char *client_secret;             /* secret: wiped on free; NULL with a certificate */
    char *client_key_pem;            /* the certificate's private key (PEM), secret: wiped on free */
    size_t client_key_length;
    char *certificate_thumbprint;    /* x5t: base64url of the certificate's SHA-1 */
    char *user_template;             /* the user principal name: %u, %l, %d, %% */
    char *authority_url;             /* https://login.microsoftonline.com */
    char *graph_url;                 /* https://graph.microsoft.com */
    char *ca_file;                   /* NULL: the system's trust store */
    bool write;                      /* phonemfa-setup adds and removes phones in Entra ID */
    long timeout_ms;                 /* each request */
};

struct phonemfa_config {
    char *path;

    /* service */
    enum provider_kind provider;
    char *urls[CONFIG_MAX_URLS];
    size_t url_count;
    char *token; /* secret: wiped on free (Twilio: the API key secret or auth token) */
    bool token_is_inline;
    char *ca_file;
    long connect_timeout_ms;
    long request_timeout_ms;

    /* twilio (provider = "twilio") */
    char *twilio_service_sid;  /* VA... */
    char *twilio_account_sid;  /* AC...: Basic auth user, with the auth token */
    char *twilio_api_key_sid;  /* SK...: Basic auth user, with the key secret (recommended) */

    /* login */
    unsigned code_attempts;
    unsigned verifications_per_login;
    unsigned menu_attempts;
    long call_answer_timeout_ms;
    long answer_timeout_ms;        /* how long phonemfad waits for the user's answer to a prompt */
    long poll_interval_ms;
    enum failmode failmode;
    enum unenrolled_policy unenrolled;
    unsigned default_country_code; /* 0: international input only */
    char *locale;                  /* the default language (a tag); NULL: English, and the service decides */
    enum verify_who verify_user;   /* whose phone: PAM_USER, or PAM_RUSER (su) */
    struct name_list failmode_safe_groups; /* failmode safe only for these (empty: all) */

    /* where phones come from */
    enum directory_backend directory;
    char *directory_managed_by;  /* who changes phones when phonemfa may not (NULL: the administrator) */
    char *directory_domain;      /* the one domain of user@domain names a %l-only template may take; NULL: none */
    long directory_cache_s;      /* last-known phones used while the directory is down, this old at most; 0: off */
    char *directory_cache_path;
    struct ldap_settings ldap;
    struct entra_settings entra;

    /* store and state */
    char *store_directory;
    char *state_directory;

    /* lockout: after lockout_failures failed verifications in the window */
    unsigned lockout_failures; /* 0: off */
    long lockout_window_s;
    long lockout_duration_s;

    /* limits */
    unsigned sends_per_user;   /* texts and calls per user per window; 0: no limit */
    long sends_window_s;
    unsigned countries[CONFIG_MAX_COUNTRIES]; /* allowed country calling codes */
    size_t country_count;      /* 0: all */
    unsigned allowed_channels; /* enum phone_channel bits; default both */

    /* remembered verification */
    enum remember_mode remember_mode;
    long remember_duration_s;
    unsigned remember_parts;   /* enum remember_part bits */

    /* who must verify */
    struct name_list exempt_users;
    struct name_list exempt_groups;
    struct name_list required_groups;
    struct network trusted_networks[CONFIG_MAX_NETWORKS];
    size_t trusted_network_count;

    /* phonemfa-setup self-service */
    unsigned self_service_slots; /* 1 << enum phone_slot; default alternate and office */
    bool self_register;          /* a user without phones may register a primary */

    /* texts */
    char *menu_header; /* NULL: the translated default */
    char *menu_footer; /* NULL: none */
    char *translations_directory; /* the catalogues: DIR/ja/LC_MESSAGES/pam_phonemfa.mo */
};

struct config_error {
    char message[CONFIG_ERROR_MAX];
};

/* Load and validate. On error *config is untouched and error says why. */
int config_load(const char *path, struct phonemfa_config **config, struct config_error *error);

/* Parse text as if read from path (file checks are the caller's). */
int config_parse_text(const char *path, const char *text, struct phonemfa_config **config,
                      struct config_error *error);

void config_free(struct phonemfa_config *config);

#endif
