/* pam_phonemfa.so: the PAM front end. It gathers what PAM knows about the
 * login, adapts the PAM conversation to the core's prompter and maps the
 * core's outcome to a PAM result. Every decision is the core's. */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_flow.h"
#include "caller_trust.h"
#include "config.h"
#include "i18n.h"
#include "log.h"
#include "secure_mem.h"

/* Built with -fvisibility=hidden: only these two entry points leave the .so
 * (the version script enforces the same at link time). */
#define MODULE_ENTRY_POINT PAM_EXTERN __attribute__((visibility("default")))

extern char **environ;

/* phonemfa-setup re-authenticates a user before a change of phones: a
 * remembered login must not stand in for the phone there. */
static const char SETUP_SERVICE[] = "phonemfa-setup";

/* What sshd puts in PAM_AUTHTOK when the password was wrong: no code may be
 * sent (and paid for) after a failed password. */
static const char SSHD_BAD_PASSWORD[] = "\b\n\r\177INCORRECT";

struct module_options {
    const char *config_path;
    int unenrolled; /* -1: as configured; else enum unenrolled_policy */
};

struct conversation {
    pam_handle_t *pamh;
    bool silent;
};

static void emit_to_pam_syslog(void *context, int priority, const char *line)
{
    pam_syslog((pam_handle_t *)context, priority, "%s", line);
}

static int converse(pam_handle_t *pamh, int style, const char *text, char **answer)
{
    const struct pam_conv *conv = NULL;
    const struct pam_message message = {.msg_style = style, .msg = text};
    const struct pam_message *messages[1] = {&message};
    struct pam_response *responses = NULL;

    *answer = NULL;
    if (pam_get_item(pamh, PAM_CONV, (const void **)&conv) != PAM_SUCCESS || conv == NULL ||
        conv->conv == NULL)
        return -1;
    int rc = conv->conv(1, messages, &responses, conv->appdata_ptr);
    if (responses != NULL) {
        *answer = responses[0].resp;
        free(responses);
    }
    if (rc != PAM_SUCCESS) {
        secure_free_string(*answer);
        *answer = NULL;
        return -1;
    }
    return 0;
}

static int prompter_ask(void *context, enum prompt_style style, const char *text, char **answer)
{
    struct conversation *conversation = context;
    int pam_style = style == PROMPT_ECHO_OFF ? PAM_PROMPT_ECHO_OFF : PAM_PROMPT_ECHO_ON;

    if (converse(conversation->pamh, pam_style, text, answer) != 0 || *answer == NULL)
        return -1;
    return 0;
}

/* Menus and prompts are shown even under PAM_SILENT (sudo always sets it);
 * only closing messages are held back. */
static void prompter_tell(void *context, const char *text)
{
    struct conversation *conversation = context;
    char *ignored = NULL;

    if (conversation->silent)
        return;
    (void)converse(conversation->pamh, PAM_ERROR_MSG, text, &ignored);
    secure_free_string(ignored);
}

static int parse_arguments(pam_handle_t *pamh, int argc, const char **argv,
                           struct module_options *options)
{
    options->config_path = PHONEMFA_DEFAULT_CONFIG;
    options->unenrolled = -1;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "conf=", 5) == 0 && argv[i][5] == '/') {
            options->config_path = argv[i] + 5;
            continue;
        }
        /* For stacks such as phonemfa-setup's, where a user with no phone
         * yet must still get in with the password to register one. */
        if (strcmp(argv[i], "unenrolled=ignore") == 0 || strcmp(argv[i], "unenrolled=deny") == 0) {
            options->unenrolled = argv[i][11] == 'i' ? UNENROLLED_IGNORE : UNENROLLED_DENY;
            continue;
        }
        pam_syslog(pamh, LOG_ERR, "config error: unknown module argument '%s' in the PAM stack",
                   argv[i]);
        return -1;
    }
    return 0;
}

static const char *get_string_item(pam_handle_t *pamh, int item)
{
    const void *value = NULL;

    if (pam_get_item(pamh, item, &value) != PAM_SUCCESS)
        return NULL;
    return value;
}

/* The PAM environment is set by the administrator's pam_env, not by the
 * user; the locale only picks the language of the text or call. */
static const char *pick_locale(pam_handle_t *pamh, const struct phonemfa_config *config,
                               char *buffer, size_t buffer_size)
{
    if (config->locale != NULL)
        return config->locale;
    const char *lang = pam_getenv(pamh, "LANG");
    if (lang == NULL)
        return NULL;
    size_t n = 0;
    while (n + 1 < buffer_size && n < 3 && lang[n] >= 'a' && lang[n] <= 'z') {
        buffer[n] = lang[n];
        n++;
    }
    buffer[n] = '\0';
    bool ends_cleanly = lang[n] == '\0' || lang[n] == '_' || lang[n] == '.' || lang[n] == '@';
    return (n >= 2 && ends_cleanly) ? buffer : NULL;
}

static int to_pam_result(enum login_outcome outcome)
{
    switch (outcome) {
    case LOGIN_APPROVED: return PAM_SUCCESS;
    case LOGIN_IGNORED: return PAM_IGNORE;
    case LOGIN_DENIED: return PAM_AUTH_ERR;
    case LOGIN_CONVERSATION_ERROR: return PAM_CONV_ERR;
    case LOGIN_SERVICE_UNAVAILABLE: return PAM_AUTHINFO_UNAVAIL;
    case LOGIN_INTERNAL_ERROR: return PAM_SERVICE_ERR;
    case LOGIN_USER_UNKNOWN: return PAM_USER_UNKNOWN;
    }
    return PAM_AUTH_ERR;
}

MODULE_ENTRY_POINT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct log_sink log = {.context = pamh, .emit = emit_to_pam_syslog};
    struct conversation conversation = {.pamh = pamh, .silent = (flags & PAM_SILENT) != 0};
    struct prompter prompter = {.context = &conversation, .ask = prompter_ask, .tell = prompter_tell};
    struct module_options options;
    struct phonemfa_config *config = NULL;
    struct config_error config_error;
    const char *user = NULL;
    const void *password = NULL;
    char locale[8];
    char variable[64];
    struct caller_trust trust;
    int result = PAM_AUTH_ERR;

    i18n_bind();
    caller_trust_inspect(&trust);
    struct login_request request = {
        .service = get_string_item(pamh, PAM_SERVICE),
        .remote_host = get_string_item(pamh, PAM_RHOST),
        .tty = get_string_item(pamh, PAM_TTY),
        .caller_started_by_user = trust.started_by_user,
        .caller_uid = (unsigned long)trust.real_uid,
    };
    request.never_remember = request.service != NULL && strcmp(request.service, SETUP_SERVICE) == 0;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL) {
        request.user = "-";
        login_log_outcome(&log, &request, LOGIN_DENIED, "no_user", NULL, NULL);
        result = PAM_USER_UNKNOWN;
        goto out;
    }
    request.user = user;
    if (parse_arguments(pamh, argc, argv, &options) != 0) {
        login_log_outcome(&log, &request, LOGIN_INTERNAL_ERROR, "config_error", NULL, NULL);
        result = PAM_SERVICE_ERR;
        goto out;
    }
    if (pam_get_item(pamh, PAM_AUTHTOK, &password) == PAM_SUCCESS && password != NULL &&
        strcmp(password, SSHD_BAD_PASSWORD) == 0) {
        login_log_outcome(&log, &request, LOGIN_DENIED, "password_failed", NULL, NULL);
        result = PAM_AUTH_ERR;
        goto out;
    }
    /* Before libcurl is started: it would honour these as root. */
    if (caller_trust_unsafe_variable(&trust, (const char *const *)environ, variable, sizeof variable) != NULL) {
        char message[160];
        pam_syslog(pamh, LOG_ERR, "unsafe environment: %s is set in a program started by another user; "
                   "the verification client is not started", variable);
        (void)snprintf(message, sizeof message,
                       _("Phone verification cannot run with %s set. Unset it and try again."), variable);
        prompter_tell(&conversation, message);
        login_log_outcome(&log, &request, LOGIN_INTERNAL_ERROR, "unsafe_environment", NULL, NULL);
        result = PAM_SERVICE_ERR;
        goto out;
    }
    if (config_load(options.config_path, &config, &config_error) != 0) {
        pam_syslog(pamh, LOG_ERR, "config error: %s", config_error.message);
        login_log_outcome(&log, &request, LOGIN_INTERNAL_ERROR, "config_error", NULL, NULL);
        result = PAM_SERVICE_ERR;
        goto out;
    }
    if (options.unenrolled >= 0)
        config->unenrolled = (enum unenrolled_policy)options.unenrolled;
    request.locale = pick_locale(pamh, config, locale, sizeof locale);
    if (config->verify_user == VERIFY_INVOKING_USER) {
        /* su sets PAM_RUSER to the person running it: their phone is asked,
         * not the target account's. Without a PAM_RUSER (sshd, login) the
         * person is the account itself. */
        const char *invoking = get_string_item(pamh, PAM_RUSER);
        if (invoking != NULL && invoking[0] != '\0' && strcmp(invoking, user) != 0) {
            request.user = invoking;
            request.target = user;
        }
    }
    result = to_pam_result(login_verify(config, &request, &prompter, &log));
out:
    config_free(config);
    return result;
}

MODULE_ENTRY_POINT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
