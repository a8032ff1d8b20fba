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
#define CONFIG_ERROR_MAX 768
#define CONFIG_FILE_MAX (256 * 1024)
#define CONFIG_SECRET_FILE_MAX 4096

enum failmode { FAILMODE_SECURE, FAILMODE_SAFE };
enum unenrolled_policy { UNENROLLED_DENY, UNENROLLED_IGNORE };
enum provider_kind { PROVIDER_PHONEMFA, PROVIDER_TWILIO };

#define TWILIO_DEFAULT_URL "https://verify.twilio.com"
#define TWILIO_SID_LENGTH 34

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
    long poll_interval_ms;
    enum failmode failmode;
    enum unenrolled_policy unenrolled;
    unsigned default_country_code; /* 0: international input only */
    char *locale;                  /* NULL: let the service decide */

    /* store */
    char *store_directory;

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
