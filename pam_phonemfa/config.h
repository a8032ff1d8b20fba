/* The administrator's configuration (/etc/phonemfa/phonemfa.conf). Loading
 * is strict: any unknown setting, wrong type, out-of-range value or unsafe
 * file is an error naming the file, line and setting. */
#ifndef PHONEMFA_CONFIG_H
#define PHONEMFA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define PHONEMFA_DEFAULT_CONFIG "/etc/phonemfa/phonemfa.conf"
#define PHONEMFA_DEFAULT_STORE "/var/lib/phonemfa"
#define CONFIG_MAX_URLS 4
#define CONFIG_MAX_NAMES 32    /* users or groups in one list */
#define CONFIG_MAX_NETWORKS 32
#define CONFIG_MAX_COUNTRIES 64
#define PHONEMFA_DEFAULT_STATE "/var/lib/phonemfa/state"
#define CONFIG_ERROR_MAX 768
#define CONFIG_FILE_MAX (256 * 1024)
#define CONFIG_SECRET_FILE_MAX 4096

enum failmode { FAILMODE_SECURE, FAILMODE_SAFE };
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
    char *locale;                  /* NULL: let the service decide */
    enum verify_who verify_user;   /* whose phone: PAM_USER, or PAM_RUSER (su) */
    struct name_list failmode_safe_groups; /* failmode safe only for these (empty: all) */

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
