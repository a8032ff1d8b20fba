/* One client's login request: who may ask, the conversation relayed to the
 * client's PAM application, and the outcome sent back. The flow itself is
 * the core's (auth_flow.c); here it runs with the daemon's configuration,
 * connections and timing, never the client's. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_flow.h"
#include "daemon.h"
#include "i18n.h"
#include "nss_lookup.h"
#include "login_wire.h"
#include "secure_mem.h"
#include "user_name.h"
#include "wire.h"

/* phonemfa-setup re-authenticates a user before a change of phones: a
 * remembered login must not stand in for the phone there. */
static const char SETUP_SERVICE[] = "phonemfa-setup";


struct relay {
    struct connection *connection;
    struct wire_message *message; /* the client's last */
    struct wire_builder *frame;   /* ours */
    long answer_timeout_ms;
    bool gone;
    /* For what phonemfad itself says (turned away, timed out): the
     * administrator's default language; the flow speaks the user's own. */
    const struct i18n_catalogue *catalogue;
};

static int send_frame(struct relay *relay)
{
    struct wire_builder *frame = relay->frame;

    if (relay->gone)
        return -1;
    if (wire_finish(frame) != 0 ||
        wire_send(relay->connection->fd, frame, wire_deadline(DAEMON_SEND_TIMEOUT_MS)) != 0) {
        relay->gone = true;
        return -1;
    }
    return 0;
}

static int relay_ask(void *context, enum prompt_style style, const char *text, char **answer)
{
    struct relay *relay = context;
    struct wire_message *reply = relay->message;
    int rc = -1;

    *answer = NULL;
    wire_begin(relay->frame, WIRE_PROMPT);
    wire_add(relay->frame, WIRE_F_ECHO, style == PROMPT_ECHO_OFF ? "off" : "on");
    wire_add(relay->frame, WIRE_F_TEXT, text);
    if (send_frame(relay) != 0)
        return -1;
    /* A stopped, stalled or vanished client ends here: the daemon, not
     * the client's process, decides how long a login may wait. */
    if (wire_receive(relay->connection->fd, reply, wire_deadline(relay->answer_timeout_ms)) != 0) {
        relay->gone = true;
        goto out;
    }
    if (reply->type == WIRE_NO_ANSWER && reply->count == 0)
        goto out; /* the application's conversation failed: not abandoned */
    const char *value = wire_get(reply, WIRE_F_TEXT, NULL);
    if (reply->type != WIRE_ANSWER || reply->count != 1 || value == NULL) {
        relay->gone = true; /* a client that breaks the protocol is not listened to */
        goto out;
    }
    *answer = strdup(value);
    rc = *answer != NULL ? 0 : -1;
out:
    wire_message_clear(reply);
    return rc;
}

static void relay_tell(void *context, const char *text)
{
    struct relay *relay = context;

    wire_begin(relay->frame, WIRE_TELL);
    wire_add(relay->frame, WIRE_F_TEXT, text);
    (void)send_frame(relay);
}

/* Without waiting: has the client hung up while the daemon was busy with
 * the service (a call being answered, say)? */
static bool relay_gone(void *context)
{
    struct relay *relay = context;
    struct pollfd pfd = {.fd = relay->connection->fd, .events = POLLRDHUP};

    if (!relay->gone && poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0)
        relay->gone = true;
    return relay->gone;
}

/* Sent even to a client that stopped answering (with a short bound): a
 * stopped su finds it when it goes on, and ends denied at once. */
static void send_result(struct relay *relay, enum login_outcome outcome)
{
    long deadline = wire_deadline(relay->gone ? DAEMON_LAST_WORD_MS : DAEMON_SEND_TIMEOUT_MS);

    if (outcome == LOGIN_ABANDONED) {
        wire_begin(relay->frame, WIRE_TELL);
        wire_add(relay->frame, WIRE_F_TEXT, T_(relay->catalogue, "Phone verification timed out."));
        if (wire_finish(relay->frame) != 0 || wire_send(relay->connection->fd, relay->frame, deadline) != 0)
            return;
    }
    wire_begin(relay->frame, WIRE_RESULT);
    wire_add(relay->frame, WIRE_F_OUTCOME, login_outcome_wire_name(outcome));
    if (wire_finish(relay->frame) == 0)
        (void)wire_send(relay->connection->fd, relay->frame, deadline);
}

/* A closing message for a login turned away before the flow began. */
static void tell_user(struct relay *relay, const char *text)
{
    wire_begin(relay->frame, WIRE_TELL);
    wire_add(relay->frame, WIRE_F_TEXT, text);
    (void)send_frame(relay);
}

/* Root clients (sshd, su, sudo, login) may ask about anyone; any other
 * client (a screen locker) only about the user it runs as. */
static const char *check_peer(const struct connection *connection, const struct login_fields *fields)
{
    char error[NSS_ERROR_MAX];
    unsigned long uid = 0;

    if (connection->uid == 0)
        return NULL;
    if (fields->ruser != NULL)
        return "a client that is not root named an invoking user";
    if (!user_name_is_valid(fields->user))
        return "a client that is not root sent a name that is not a user name";
    switch (nss_user_uid(fields->user, &uid, error, sizeof error)) {
    case NSS_FOUND:
        return uid == (unsigned long)connection->uid ? NULL : "a client that is not root asked about another user";
    case NSS_NOT_FOUND:
        return "a client that is not root asked about an unknown user";
    case NSS_FAILED:
        break;
    }
    return "the client's user could not be looked up";
}

static void serve_login(struct relay *relay, const struct wire_message *request)
{
    struct connection *connection = relay->connection;
    struct daemon *daemon = connection->daemon;
    struct login_fields fields;
    struct login_request login = {.user = "-"};
    enum login_outcome outcome = LOGIN_INTERNAL_ERROR;
    struct loaded_config *loaded = NULL;
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error i18n_error;

    const char *broken = login_wire_read(request, &fields);
    if (broken != NULL) {
        if (daemon_noise_allowed(daemon)) {
            log_message(&connection->log, LOG_ERR, "protocol error: the login request has %s", broken);
            login.user = fields.user != NULL ? fields.user : "-";
            login_log_outcome(&connection->log, &login, LOGIN_INTERNAL_ERROR, "protocol_error", NULL, NULL);
        }
        goto out;
    }
    login = (struct login_request){
        .user = fields.user,
        .service = fields.service,
        .remote_host = fields.rhost,
        .tty = fields.tty,
        .never_remember = fields.service != NULL && strcmp(fields.service, SETUP_SERVICE) == 0,
    };
    if (connection->uid != 0) {
        /* A client that is not root says what it likes about where the
         * login comes from: it is not trusted for trusted_networks, nor
         * remembered for the services that are root's. */
        login.remote_host = NULL;
        login.never_remember = true;
    }
    const char *refused = check_peer(connection, &fields);
    if (refused != NULL) {
        outcome = LOGIN_DENIED;
        if (daemon_noise_allowed(daemon)) {
            log_message(&connection->log, LOG_WARNING, "refused: %s (client uid %lu)", refused,
                        (unsigned long)connection->uid);
            login_log_outcome(&connection->log, &login, outcome, "client_not_permitted", NULL, NULL);
        }
        goto out;
    }
    loaded = daemon_config_acquire(daemon);
    if (loaded->config == NULL) {
        log_message(&connection->log, LOG_ERR, "config error: %s", loaded->error);
        login_log_outcome(&connection->log, &login, outcome, "config_error", NULL, NULL);
        tell_user(relay, i18n_unavailable_here(NULL));
        goto out;
    }
    /* The login's own copy: a module option of this PAM stack may change
     * what an unenrolled user gets (the strings stay the loaded config's). */
    struct phonemfa_config config = *loaded->config;
    if (fields.unenrolled >= 0)
        config.unenrolled = (enum unenrolled_policy)fields.unenrolled;
    /* (fields.lang, an old module's LANG, is read and ignored: the caller's
     * environment never picks the language.) */
    if (i18n_catalogue_load(config.translations_directory, config.locale, &catalogue, &i18n_error) != 0) {
        log_message(&connection->log, LOG_ERR, "translations for language %s cannot be used: %s", config.locale,
                    i18n_error.message);
        login_log_outcome(&connection->log, &login, outcome, "translations_error", NULL, NULL);
        tell_user(relay, i18n_unavailable_here(NULL));
        goto out;
    }
    relay->catalogue = catalogue;
    if (config.verify_user == VERIFY_INVOKING_USER && fields.ruser != NULL && fields.ruser[0] != '\0' &&
        strcmp(fields.ruser, fields.user) != 0) {
        /* su sets PAM_RUSER to the person running it: their phone is asked,
         * not the target account's. */
        login.user = fields.ruser;
        login.target = fields.user;
    }
    /* (An invalid name is the flow's to refuse, and log.) */
    if (user_name_is_valid(login.user) && !daemon_claim_account(daemon, connection, login.user)) {
        outcome = LOGIN_SERVICE_UNAVAILABLE;
        if (daemon_noise_allowed(daemon)) {
            log_message(&connection->log, LOG_WARNING,
                        "turned away: %s has the most logins at once already (--max-per-account)", login.user);
            login_log_outcome(&connection->log, &login, outcome, "daemon_busy", NULL, NULL);
        }
        tell_user(relay, T_(relay->catalogue, "Phone verification is not available right now. Try again later."));
        goto out;
    }
    relay->answer_timeout_ms = config.answer_timeout_ms;
    struct prompter prompter = {.context = relay, .ask = relay_ask, .tell = relay_tell, .gone = relay_gone};
    outcome = login_verify(&config, loaded->directory, &login, &prompter, daemon->pool, &connection->log);
out:
    send_result(relay, outcome);
    relay->catalogue = NULL;
    i18n_catalogue_free(catalogue);
    if (loaded != NULL)
        daemon_config_release(daemon, loaded);
}

void daemon_serve(struct connection *connection)
{
    struct relay relay = {.connection = connection, .message = wire_message_new(), .frame = wire_builder_new()};
    struct wire_message *request = wire_message_new();

    if (relay.message == NULL || relay.frame == NULL || request == NULL) {
        log_message(&connection->log, LOG_ERR, "out of memory: the client is turned away");
        goto out;
    }
    if (wire_receive(connection->fd, request, wire_deadline(DAEMON_REQUEST_TIMEOUT_MS)) != 0) {
        char reason[64];
        int code = errno;
        if (code != ECONNRESET && daemon_noise_allowed(connection->daemon))
            log_message(&connection->log, LOG_WARNING, "no request from the client: %s",
                        code == EPROTO ? "not a protocol frame" : strerror_r(code, reason, sizeof reason));
        goto out;
    }
    if (request->type == WIRE_LOGIN)
        serve_login(&relay, request);
    else if (request->type == WIRE_SETUP)
        daemon_serve_setup(connection, request);
    else if (daemon_noise_allowed(connection->daemon))
        log_message(&connection->log, LOG_ERR, "protocol error: unknown request type 0x%02x",
                    (unsigned)(unsigned char)request->type);
out:
    wire_message_free(request);
    wire_message_free(relay.message);
    wire_builder_free(relay.frame);
}
