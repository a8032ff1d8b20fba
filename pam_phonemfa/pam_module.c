/* pam_phonemfa.so: the thin PAM front end. It gathers the PAM items, hands
 * the login to phonemfad over its UNIX socket, relays the daemon's prompts
 * and messages through the PAM conversation, and maps the daemon's outcome
 * to a PAM result. It links libpam and libc only: no network, secret, store
 * or state code runs in the process of the application that loaded it.
 * Every failure to reach or understand the daemon denies. */
#include <errno.h>
#include <fcntl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon_client.h"
#include "i18n.h"
#include "login_outcome.h"
#include "wire.h"

/* Built with -fvisibility=hidden: only these two entry points leave the .so
 * (the version script enforces the same at link time). */
#define MODULE_ENTRY_POINT PAM_EXTERN __attribute__((visibility("default")))

/* The daemon decides how long a login may wait (for the user, the
 * service, a call); this only bounds a daemon that hangs. */
#define DAEMON_SILENCE_MS (30L * 60L * 1000L)
#define SEND_TIMEOUT_MS 10000
/* After an answer that could not be sent: what the daemon left to read. */
#define LAST_WORD_MS 1000

/* What sshd puts in PAM_AUTHTOK when the password was wrong (or the user
 * invalid): this junk, repeated to the length of what was typed
 * (fake_password() in OpenSSH's auth-pam.c). No code may be sent (and paid
 * for) after a failed password. */
static const char SSHD_BAD_PASSWORD[] = "\b\n\r\177INCORRECT";

static bool is_sshd_bad_password(const char *password)
{
    size_t cycle = sizeof SSHD_BAD_PASSWORD - 1;

    if (password == NULL || password[0] == '\0')
        return false;
    for (size_t i = 0; password[i] != '\0'; i++)
        if (password[i] != SSHD_BAD_PASSWORD[i % cycle])
            return false;
    return true;
}

struct module_options {
    const char *socket_path;
    const char *unenrolled; /* "unenrolled=ignore" / "unenrolled=deny" or NULL */
    bool honour_silent;
    /* The language of the module's own messages, said when phonemfad cannot
     * be reached and so cannot say which language the user reads: from the
     * stack (language=ja), never from the caller. NULL: English. */
    const char *language;
    const char *translations; /* where its catalogue is (tests) */
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
        if (*answer != NULL) {
            explicit_bzero(*answer, strlen(*answer));
            free(*answer);
        }
        *answer = NULL;
        return -1;
    }
    return 0;
}

/* sudo passes PAM_SILENT on every authentication, so a module that honoured
 * it would leave sudo users with "Sorry, try again." and never the reason
 * (not enrolled, service down, call declined). Closing messages are shown
 * anyway unless the stack asks for honour_silent; prompts always are. */
static void show(pam_handle_t *pamh, bool silent, const char *text)
{
    char *ignored = NULL;

    if (silent)
        return;
    (void)converse(pamh, PAM_ERROR_MSG, text, &ignored);
    free(ignored);
}

static int parse_arguments(pam_handle_t *pamh, int argc, const char **argv, struct module_options *options)
{
    options->socket_path = PHONEMFAD_SOCKET;
    options->unenrolled = NULL;
    options->honour_silent = false;
    options->language = NULL;
    options->translations = PHONEMFA_LOCALEDIR;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "socket=", 7) == 0 && argv[i][7] == '/') {
            options->socket_path = argv[i] + 7;
            continue;
        }
        /* For stacks such as phonemfa-setup's, where a user with no phone
         * yet must still get in with the password to register one. */
        if (strcmp(argv[i], "unenrolled=ignore") == 0 || strcmp(argv[i], "unenrolled=deny") == 0) {
            options->unenrolled = argv[i];
            continue;
        }
        if (strcmp(argv[i], "honour_silent") == 0) {
            options->honour_silent = true;
            continue;
        }
        if (strncmp(argv[i], "language=", 9) == 0 && i18n_tag_is_valid(argv[i] + 9)) {
            options->language = argv[i] + 9;
            continue;
        }
        if (strncmp(argv[i], "translations=", 13) == 0 && argv[i][13] == '/') {
            options->translations = argv[i] + 13;
            continue;
        }
        pam_syslog(pamh, LOG_ERR, "config error: unknown module argument '%s' in the PAM stack", argv[i]);
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

struct exchange {
    pam_handle_t *pamh;
    bool silent;
    int fd;
    struct wire_message *message; /* what the daemon sent last */
    struct wire_builder *frame;   /* what we send */
    enum login_outcome outcome;
    char why[192]; /* when the exchange broke */
    char turned_away[32];
};

static int answer_prompt(struct exchange *exchange, const struct wire_message *prompt)
{
    const char *text = wire_get(prompt, WIRE_F_TEXT, NULL);
    const char *echo = wire_get(prompt, WIRE_F_ECHO, NULL);
    struct wire_builder *reply = exchange->frame;
    char *answer = NULL;

    if (text == NULL || echo == NULL || prompt->count != 2 || (strcmp(echo, "on") != 0 && strcmp(echo, "off") != 0)) {
        (void)snprintf(exchange->why, sizeof exchange->why, "a malformed prompt");
        return -1;
    }
    int style = strcmp(echo, "off") == 0 ? PAM_PROMPT_ECHO_OFF : PAM_PROMPT_ECHO_ON;
    if (converse(exchange->pamh, style, text, &answer) != 0 || answer == NULL) {
        wire_begin(reply, WIRE_NO_ANSWER);
    } else {
        wire_begin(reply, WIRE_ANSWER);
        wire_add(reply, WIRE_F_TEXT, answer);
        explicit_bzero(answer, strlen(answer));
    }
    free(answer);
    int rc = 0;
    if (wire_finish(reply) != 0) {
        /* An answer too long to send is no answer. */
        wire_builder_clear(reply);
        wire_begin(reply, WIRE_NO_ANSWER);
        rc = wire_finish(reply);
    }
    if (rc == 0)
        rc = wire_send(exchange->fd, reply, wire_deadline(SEND_TIMEOUT_MS));
    wire_builder_clear(reply);
    if (rc != 0)
        (void)snprintf(exchange->why, sizeof exchange->why, "the answer could not be sent");
    return rc;
}

/* Relay until the daemon's result: 0 with exchange->outcome, or -1.
 * request_lost: the request could not be sent, but the daemon may have
 * left a result (it turned the login away) to be read. */
static int relay(struct exchange *exchange, bool request_lost)
{
    struct wire_message *message = exchange->message;
    bool answer_lost = request_lost;
    int rc = -1;

    for (;;) {
        if (wire_receive(exchange->fd, message, wire_deadline(answer_lost ? LAST_WORD_MS : DAEMON_SILENCE_MS)) != 0) {
            char reason[64];
            if (answer_lost)
                break; /* why says the answer could not be sent */
            (void)snprintf(exchange->why, sizeof exchange->why, "phonemfad %s",
                           errno == ECONNRESET ? "closed the connection"
                           : errno == EPROTO   ? "sent a malformed frame"
                                               : strerror_r(errno, reason, sizeof reason));
            break;
        }
        if (message->type == WIRE_PROMPT) {
            /* An answer that cannot be sent: the daemon may have ended the
             * login meanwhile (the user took too long) and left its result
             * to be read. */
            if (answer_prompt(exchange, message) != 0) {
                if (answer_lost)
                    break;
                answer_lost = true;
            }
        } else if (message->type == WIRE_TELL && message->count == 1 && wire_get(message, WIRE_F_TEXT, NULL)) {
            show(exchange->pamh, exchange->silent, wire_get(message, WIRE_F_TEXT, NULL));
        } else if (message->type == WIRE_RESULT &&
                   login_outcome_from_wire(wire_get(message, WIRE_F_OUTCOME, NULL), &exchange->outcome) == 0) {
            /* A reason comes only with a login the daemon turned away
             * before it began (and so never logged). */
            const char *reason = wire_get(message, WIRE_F_REASON, NULL);
            if (reason != NULL)
                (void)snprintf(exchange->turned_away, sizeof exchange->turned_away, "%s", reason);
            rc = 0;
            break;
        } else {
            (void)snprintf(exchange->why, sizeof exchange->why, "phonemfad sent an unexpected message");
            break;
        }
    }
    wire_message_clear(message);
    return rc;
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
    case LOGIN_ABANDONED: return PAM_AUTH_ERR;
    }
    return PAM_AUTH_ERR;
}

static int send_login(struct exchange *exchange, const char *user, const struct module_options *options)
{
    struct wire_builder *request = exchange->frame;
    pam_handle_t *pamh = exchange->pamh;

    wire_begin(request, WIRE_LOGIN);
    wire_add(request, WIRE_F_VERSION, WIRE_VERSION);
    wire_add(request, WIRE_F_USER, user);
    wire_add(request, WIRE_F_SERVICE, get_string_item(pamh, PAM_SERVICE));
    wire_add(request, WIRE_F_RHOST, get_string_item(pamh, PAM_RHOST));
    wire_add(request, WIRE_F_TTY, get_string_item(pamh, PAM_TTY));
    wire_add(request, WIRE_F_RUSER, get_string_item(pamh, PAM_RUSER));
    /* No language is sent: phonemfad picks it from the user's record and
     * the administrator's default, never from any environment. */
    wire_add(request, WIRE_F_OPTION, options->unenrolled);
    if (wire_finish(request) != 0)
        return -1;
    return wire_send(exchange->fd, request, wire_deadline(SEND_TIMEOUT_MS));
}

/* "Not available right now", in the stack's language= when it has one. A
 * catalogue that cannot be read changes nothing but the language. */
static void show_unavailable(pam_handle_t *pamh, const struct exchange *exchange,
                             const struct module_options *options)
{
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error error;

    if (i18n_catalogue_load(options->translations, options->language, &catalogue, &error) != 0)
        pam_syslog(pamh, LOG_ERR, "translations for language=%s cannot be used: %s", options->language,
                   error.message);
    show(pamh, exchange->silent, T_(catalogue, "Phone verification is not available right now. Try again later."));
    i18n_catalogue_free(catalogue);
}

MODULE_ENTRY_POINT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct log_sink log = {.context = pamh, .emit = emit_to_pam_syslog};
    struct exchange exchange = {.pamh = pamh, .silent = false, .fd = -1};
    struct module_options options;
    const char *user = NULL;
    const void *password = NULL;
    int result = PAM_AUTH_ERR;

    struct login_request request = {
        .user = "-",
        .service = get_string_item(pamh, PAM_SERVICE),
        .remote_host = get_string_item(pamh, PAM_RHOST),
        .tty = get_string_item(pamh, PAM_TTY),
    };
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL) {
        login_log_outcome(&log, &request, LOGIN_DENIED, "no_user", NULL, NULL);
        result = PAM_USER_UNKNOWN;
        goto out;
    }
    request.user = user;
    if (parse_arguments(pamh, argc, argv, &options) != 0) {
        show(pamh, false, i18n_unavailable_here(NULL));
        login_log_outcome(&log, &request, LOGIN_INTERNAL_ERROR, "config_error", NULL, NULL);
        result = PAM_SERVICE_ERR;
        goto out;
    }
    exchange.silent = options.honour_silent && (flags & PAM_SILENT) != 0;
    if (pam_get_item(pamh, PAM_AUTHTOK, &password) == PAM_SUCCESS && is_sshd_bad_password(password)) {
        login_log_outcome(&log, &request, LOGIN_DENIED, "password_failed", NULL, NULL);
        result = PAM_AUTH_ERR;
        goto out;
    }
    exchange.message = wire_message_new();
    exchange.frame = wire_builder_new();
    if (exchange.message == NULL || exchange.frame == NULL) {
        login_log_outcome(&log, &request, LOGIN_INTERNAL_ERROR, "out_of_memory", NULL, NULL);
        result = PAM_BUF_ERR;
        goto out;
    }
    exchange.fd = daemon_client_connect(options.socket_path, exchange.why, sizeof exchange.why);
    bool request_lost = false;
    if (exchange.fd >= 0 && send_login(&exchange, user, &options) != 0) {
        (void)snprintf(exchange.why, sizeof exchange.why, "the request could not be sent");
        request_lost = true;
    }
    if (exchange.fd < 0 || relay(&exchange, request_lost) != 0) {
        pam_syslog(pamh, LOG_ERR, "phonemfad not available: %s", exchange.why);
        show_unavailable(pamh, &exchange, &options);
        login_log_outcome(&log, &request, LOGIN_SERVICE_UNAVAILABLE, "daemon_unavailable", NULL, NULL);
        result = PAM_AUTHINFO_UNAVAIL;
        goto out;
    }
    if (exchange.turned_away[0] != '\0') {
        char reason[sizeof exchange.turned_away];
        log_clean_value(reason, sizeof reason, exchange.turned_away);
        pam_syslog(pamh, LOG_ERR, "phonemfad turned the login away: %s", reason);
        show_unavailable(pamh, &exchange, &options);
        login_log_outcome(&log, &request, exchange.outcome, reason, NULL, NULL);
    }
    result = to_pam_result(exchange.outcome);
out:
    if (exchange.fd >= 0)
        (void)close(exchange.fd);
    wire_message_free(exchange.message);
    wire_builder_free(exchange.frame);
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
