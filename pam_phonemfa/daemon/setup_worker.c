#include "setup_worker.h"
#include "phone_directory.h"

#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "i18n.h"
#include "log.h"
#include "setup_admin.h"
#include "setup_self.h"
#include "user_name.h"
#include "wire.h"

#define OUTPUT_CHUNK 4096

/* stdout and stderr of the worker: each write becomes OUTPUT frames to the
 * client (the cookie is the stream number, nothing mutable). */
static ssize_t relay_output(void *cookie, const char *data, size_t size)
{
    char stream[2] = {(char)('0' + (int)(intptr_t)cookie), '\0'};
    struct wire_builder *frame = wire_builder_new();
    char chunk[OUTPUT_CHUNK + 1];
    size_t done = 0;

    if (frame == NULL)
        return -1;
    while (done < size) {
        size_t length = size - done < OUTPUT_CHUNK ? size - done : OUTPUT_CHUNK;
        memcpy(chunk, data + done, length);
        chunk[length] = '\0';
        /* A NUL byte cannot travel in a field: it ends the chunk there. */
        wire_begin(frame, WIRE_OUTPUT);
        wire_add(frame, WIRE_F_STREAM, stream);
        wire_add(frame, WIRE_F_TEXT, chunk);
        if (wire_finish(frame) != 0 || wire_send(STDIN_FILENO, frame, wire_deadline(SETUP_SEND_TIMEOUT_MS)) != 0) {
            wire_builder_free(frame);
            return -1;
        }
        done += length;
    }
    wire_builder_free(frame);
    return (ssize_t)size;
}

static FILE *open_relay(int stream)
{
    cookie_io_functions_t functions = {.write = relay_output};
    FILE *file = fopencookie((void *)(intptr_t)stream, "w", functions);
    if (file != NULL && setvbuf(file, NULL, _IOLBF, 0) != 0) {
        (void)fclose(file);
        return NULL;
    }
    return file;
}

struct worker_log {
    bool to_stderr_fd;
    long client_pid;
};

/* The daemon's log: syslog as "phonemfa-setup", or (phonemfad -f) its
 * standard error, tagged with the client's pid like every login line. */
static void emit(void *context, int priority, const char *line)
{
    const struct worker_log *log = context;
    if (log->to_stderr_fd) {
        char out[LOG_LINE_MAX + 48];
        int length = snprintf(out, sizeof out, "phonemfad: [%ld] %s\n", log->client_pid, line);
        if (length > 0)
            (void)!write(STDERR_FILENO, out, (size_t)length < sizeof out ? (size_t)length : sizeof out - 1);
    } else {
        syslog(priority, "%s", line);
    }
}

static void send_exit(int code)
{
    struct wire_builder *frame = wire_builder_new();
    char text[16];

    (void)fflush(stdout);
    (void)fflush(stderr);
    if (frame == NULL)
        return;
    (void)snprintf(text, sizeof text, "%d", code);
    wire_begin(frame, WIRE_RESULT);
    wire_add(frame, WIRE_F_EXIT, text);
    if (wire_finish(frame) == 0)
        (void)wire_send(STDIN_FILENO, frame, wire_deadline(SETUP_SEND_TIMEOUT_MS));
    wire_builder_free(frame);
}

static int usage(void)
{
    fputs("usage: phonemfa-setup                 change your own phones (interactive)\n"
          "       phonemfa-setup check           phonemfad's configuration, store, state and service\n"
          "       phonemfa-setup --user NAME COMMAND\n"
          "commands:\n"
          "  list [--json]                         the user's phones, lockout and remembered logins\n"
          "  add SLOT NUMBER (--verify text|call | --no-verify) [--channels text,call]\n"
          "                                        add or replace primary, alternate or office\n"
          "  remove SLOT                           remove a phone\n"
          "  preferred SLOT text|call              what Enter picks at login\n"
          "  reset                                 remove all phones and state\n"
          "  lockout [--clear]                     show or lift a lockout\n"
          "  forget                                forget remembered logins\n",
          stderr);
    return SETUP_USAGE;
}

static int run_command(struct setup_context *context, int argc, char **argv)
{
    const char *command = argv[0];

    if (strcmp(command, "list") == 0 && (argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)))
        return setup_list(context, argc == 2);
    if (strcmp(command, "remove") == 0 && argc == 2)
        return setup_remove(context, argv[1]);
    if (strcmp(command, "preferred") == 0 && argc == 3)
        return setup_preferred(context, argv[1], argv[2]);
    if (strcmp(command, "reset") == 0 && argc == 1)
        return setup_reset(context);
    if (strcmp(command, "lockout") == 0 && (argc == 1 || (argc == 2 && strcmp(argv[1], "--clear") == 0)))
        return setup_lockout(context, argc == 2);
    if (strcmp(command, "forget") == 0 && argc == 1)
        return setup_forget(context);
    if (strcmp(command, "add") == 0 && argc >= 4) {
        struct add_request request = {.slot = argv[1], .number = argv[2]};
        for (int i = 3; i < argc; i++) {
            if (strcmp(argv[i], "--no-verify") == 0)
                request.no_verify = true;
            else if (strcmp(argv[i], "--verify") == 0 && i + 1 < argc &&
                     (strcmp(argv[i + 1], "text") == 0 || strcmp(argv[i + 1], "call") == 0))
                request.verify_channel = argv[++i];
            else if (strcmp(argv[i], "--channels") == 0 && i + 1 < argc)
                request.channels = argv[++i];
            else
                return usage();
        }
        if (request.no_verify == (request.verify_channel != NULL)) {
            fputs("phonemfa-setup: add needs --verify text|call (send a code first) or --no-verify "
                  "(assisted enrollment, recorded as unverified)\n", stderr);
            return SETUP_USAGE;
        }
        return setup_add(context, &request);
    }
    return usage();
}

/* What the client asked, as root or as a user. */
static int run(struct setup_context *context, const char *config_path, const char *daemon_state, bool is_root,
               int argc, char **argv)
{
    struct phonemfa_config *config = NULL;
    struct config_error error;
    const char *user = NULL;
    int i = 0;

    if (!is_root) {
        /* A user: their own record only. */
        if (argc > 0) {
            fputs("phonemfa-setup: options and commands are for root; run it without arguments to change "
                  "your own phones\n", stderr);
            return SETUP_NOT_PERMITTED;
        }
        context->user = context->actor;
    } else {
        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
            if (i + 1 >= argc)
                return usage();
            if (strcmp(argv[i], "--user") == 0) {
                user = argv[i + 1];
            } else if (strcmp(argv[i], "--config") == 0) {
                fputs("phonemfa-setup: the configuration is phonemfad's (phonemfad --config); "
                      "--config is no longer taken\n", stderr);
                return SETUP_USAGE;
            } else {
                return usage();
            }
        }
        if (i >= argc)
            return usage();
        if (strcmp(argv[i], "check") == 0 && i + 1 == argc && user == NULL) {
            printf("ok       phonemfad %s\n", daemon_state);
            return setup_check(config_path, context->log);
        }
        if (user == NULL)
            return usage();
        if (!user_name_is_valid(user)) {
            fputs("phonemfa-setup: not a valid user name\n", stderr);
            return SETUP_USAGE;
        }
        context->user = user;
    }
    if (config_load(config_path, &config, &error) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return SETUP_BROKEN;
    }
    struct directory_error directory_error = {{0}};
    context->config = config;
    context->directory = phone_directory_new(config, NULL, context->log, &directory_error);
    if (context->directory == NULL) {
        fprintf(stderr, "phonemfa-setup: the phone directory: %s\n", directory_error.message);
        config_free(config);
        return SETUP_BROKEN;
    }
    int result = is_root ? run_command(context, argc - i, argv + i) : setup_self_service(context);
    phone_directory_free(context->directory);
    config_free(config);
    return result;
}

int setup_worker_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"setup-worker", no_argument, NULL, 'w'}, {"config", required_argument, NULL, 'c'},
        {"peer-uid", required_argument, NULL, 'u'}, {"client-pid", required_argument, NULL, 'p'},
        {"tty", required_argument, NULL, 't'}, {"interactive", no_argument, NULL, 'i'},
        {"log-stderr", no_argument, NULL, 'l'}, {"state", required_argument, NULL, 's'}, {NULL, 0, NULL, 0},
    };
    struct worker_log log_target = {0};
    struct log_sink log = {.context = &log_target, .emit = emit};
    const char *config_path = PHONEMFA_DEFAULT_CONFIG, *daemon_state = "";
    struct setup_context context = {.log = &log};
    unsigned long peer_uid = 0;
    bool have_peer = false;
    char actor[USER_NAME_MAX + 1];
    int option;

    /* Only phonemfad starts workers: run by anyone else it is nobody's. */
    if (getuid() != 0 || geteuid() != 0 || getauxval(AT_SECURE) != 0)
        return SETUP_NOT_PERMITTED;
    while ((option = getopt_long(argc, argv, "+", options, NULL)) != -1) {
        switch (option) {
        case 'w': break;
        case 'c': config_path = optarg; break;
        case 'u': peer_uid = strtoul(optarg, NULL, 10); have_peer = true; break;
        case 'p': log_target.client_pid = strtol(optarg, NULL, 10); break;
        case 't': context.tty = optarg; break;
        case 'i': context.interactive = true; break;
        case 'l': log_target.to_stderr_fd = true; break;
        case 's': daemon_state = optarg; break;
        default: return SETUP_BROKEN;
        }
    }
    FILE *out = open_relay(1), *err = open_relay(2);
    if (!have_peer || out == NULL || err == NULL) {
        if (out != NULL)
            (void)fclose(out);
        if (err != NULL)
            (void)fclose(err);
        return SETUP_BROKEN;
    }
    stdout = out;
    stderr = err;
    i18n_bind();
    openlog("phonemfa-setup", LOG_PID, LOG_AUTHPRIV);
    struct passwd pw, *found = NULL;
    char buffer[4096];
    int result = SETUP_NOT_PERMITTED;
    if (getpwuid_r((uid_t)peer_uid, &pw, buffer, sizeof buffer, &found) != 0 || found == NULL ||
        !user_name_is_valid(found->pw_name)) {
        fputs("phonemfa-setup: who are you? (no valid user name for your uid)\n", stderr);
    } else {
        (void)snprintf(actor, sizeof actor, "%s", found->pw_name);
        context.actor = actor;
        context.caller_uid = peer_uid;
        result = run(&context, config_path, daemon_state, peer_uid == 0, argc - optind, argv + optind);
    }
    send_exit(result);
    closelog();
    return result;
}
