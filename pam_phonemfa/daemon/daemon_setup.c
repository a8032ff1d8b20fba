/* A phonemfa-setup client: phonemfad starts a setup worker for it (its own
 * executable, fresh, with the client's connection as standard input) and
 * waits for it. The worker re-authenticates the user through the
 * phonemfa-setup PAM service, proves possession of new phones and writes
 * the store, all under the same configuration and policy as logins. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "setup_worker.h"
#include "wire.h"

#define WORKER_FIXED_ARGS 20

static const char *check_request(const struct wire_message *request, const char **tty, bool *interactive,
                                 size_t *arg_count)
{
    const char *version = NULL;

    *tty = NULL;
    *interactive = false;
    *arg_count = 0;
    for (size_t i = 0; i < request->count; i++) {
        const struct wire_field *field = &request->fields[i];
        if (field->length > SETUP_ARG_MAX)
            return "a field is too long";
        switch (field->tag) {
        case WIRE_F_VERSION:
            if (version != NULL)
                return "a field given twice";
            version = field->value;
            break;
        case WIRE_F_ARG:
            if (++*arg_count > SETUP_ARGS_MAX)
                return "too many arguments";
            break;
        case WIRE_F_TTY:
            if (*tty != NULL)
                return "a field given twice";
            *tty = field->value;
            break;
        case WIRE_F_INTERACTIVE:
            *interactive = strcmp(field->value, "yes") == 0;
            break;
        default:
            return "an unknown field";
        }
    }
    if (version == NULL || strcmp(version, WIRE_VERSION) != 0)
        return "another protocol version (phonemfa-setup and phonemfad from different releases?)";
    return NULL;
}

/* The terminal name the client gave becomes PAM_TTY of the phonemfa-setup
 * stack (pam_access, pam_time and pam_unix's log read it): only a terminal
 * device that is the client's own. */
static bool is_own_terminal(const char *tty, uid_t uid)
{
    struct stat status;
    const char *rest = NULL;

    if (strncmp(tty, "/dev/pts/", 9) == 0)
        rest = tty + 9;
    else if (strncmp(tty, "/dev/tty", 8) == 0)
        rest = tty + 8;
    if (rest == NULL || rest[0] == '\0' || strspn(rest, "0123456789") != strlen(rest) || strlen(rest) > 6)
        return false;
    return stat(tty, &status) == 0 && S_ISCHR(status.st_mode) && status.st_uid == uid;
}

/* The file root executed to start this daemon (AT_EXECFN): the worker is
 * the same program. Not /proc/self/exe, which under valgrind (the test
 * suite) is valgrind's own tool. */
static const char *own_executable(void)
{
    const char *path = (const char *)getauxval(AT_EXECFN);
    return path != NULL ? path : "/proc/self/exe";
}

static void refuse(struct connection *connection, const char *why)
{
    struct wire_builder *frame = wire_builder_new();

    if (daemon_noise_allowed(connection->daemon))
        log_message(&connection->log, LOG_ERR, "protocol error: the setup request has %s", why);
    if (frame == NULL)
        return;
    wire_begin(frame, WIRE_OUTPUT);
    wire_add(frame, WIRE_F_STREAM, "2");
    wire_add(frame, WIRE_F_TEXT, "phonemfa-setup: phonemfad refused the request (see its log)\n");
    if (wire_finish(frame) == 0)
        (void)wire_send(connection->fd, frame, wire_deadline(DAEMON_SEND_TIMEOUT_MS));
    wire_begin(frame, WIRE_RESULT);
    wire_add(frame, WIRE_F_EXIT, "2");
    if (wire_finish(frame) == 0)
        (void)wire_send(connection->fd, frame, wire_deadline(DAEMON_SEND_TIMEOUT_MS));
    wire_builder_free(frame);
}

void daemon_serve_setup(struct connection *connection, const struct wire_message *request)
{
    struct daemon *daemon = connection->daemon;
    const char *tty = NULL;
    bool interactive = false;
    size_t arg_count = 0;
    const char *broken = check_request(request, &tty, &interactive, &arg_count);

    if (broken != NULL) {
        refuse(connection, broken);
        return;
    }
    char uid[24], pid[24], state[CONFIG_ERROR_MAX + 256] = "";
    (void)snprintf(uid, sizeof uid, "%lu", (unsigned long)connection->uid);
    (void)snprintf(pid, sizeof pid, "%ld", (long)connection->pid);
    /* Only root asks for check: a user's worker is not told (its argv is
     * anyone's to read in /proc). */
    if (connection->uid == 0)
        daemon_describe(daemon, state, sizeof state);
    if (tty != NULL && !is_own_terminal(tty, connection->uid)) {
        log_message(&connection->log, LOG_WARNING, "the client's terminal is not its own: PAM_TTY not set");
        tty = NULL;
    }
    const char *argv[WORKER_FIXED_ARGS + SETUP_ARGS_MAX + 1];
    size_t n = 0;
    argv[n++] = "phonemfad";
    argv[n++] = SETUP_WORKER_FLAG;
    argv[n++] = "--config";
    argv[n++] = daemon->options.config_path;
    argv[n++] = "--peer-uid";
    argv[n++] = uid;
    argv[n++] = "--client-pid";
    argv[n++] = pid;
    argv[n++] = "--state";
    argv[n++] = state;
    if (tty != NULL) {
        argv[n++] = "--tty";
        argv[n++] = tty;
    }
    if (interactive)
        argv[n++] = "--interactive";
    if (daemon->options.log_to_stderr)
        argv[n++] = "--log-stderr";
    argv[n++] = "--";
    for (size_t i = 0; i < request->count; i++)
        if (request->fields[i].tag == WIRE_F_ARG)
            argv[n++] = request->fields[i].value;
    argv[n] = NULL;

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    sigset_t none;
    pid_t worker = -1;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc == 0)
        rc = posix_spawnattr_init(&attributes);
    if (rc == 0) {
        /* Only the connection (as stdin) and the daemon's stdout/stderr
         * (its log under -f) go to the worker; its signals start clean. */
        (void)sigemptyset(&none);
        rc = posix_spawn_file_actions_adddup2(&actions, connection->fd, STDIN_FILENO);
        if (rc == 0)
            rc = posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
        if (rc == 0)
            rc = posix_spawnattr_setsigmask(&attributes, &none);
        if (rc == 0)
            rc = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
        if (rc == 0)
            rc = posix_spawn(&worker, own_executable(), &actions, &attributes, (char *const *)argv, environ);
        (void)posix_spawnattr_destroy(&attributes);
    }
    (void)posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        char reason[64];
        log_message(&connection->log, LOG_ERR, "cannot start the setup worker: %s",
                    strerror_r(rc, reason, sizeof reason));
        return;
    }
    log_message(&connection->log, LOG_INFO, "phonemfa-setup for uid %s: worker %ld", uid, (long)worker);
    int status = 0;
    while (waitpid(worker, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        log_message(&connection->log, LOG_ERR, "the setup worker %ld ended by signal %d", (long)worker,
                    WTERMSIG(status));
}
