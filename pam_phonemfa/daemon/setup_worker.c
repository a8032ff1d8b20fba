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
#include "setup_command.h"
#include "setup_language.h"
#include "setup_self.h"
#include "setup_users.h"
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

/* The catalogue of the person running phonemfa-setup: a user in
 * self-service, or the administrator (their own record's language, if they
 * have one). A catalogue that cannot be read is a fault of the installation:
 * refused, in English, like a login (auth_flow.c). 0 or -1. */
static int speak(struct setup_context *context, struct i18n_catalogue **catalogue)
{
    const struct phonemfa_config *config = context->config;
    struct i18n_error error;
    char own[I18N_TAG_MAX];

    setup_chosen_language(context->directory, context->actor, own);
    const char *language = i18n_pick_language(own, config->locale);
    if (i18n_catalogue_load(config->translations_directory, language, catalogue, &error) != 0) {
        log_message(context->log, LOG_ERR, "translations for language %s cannot be used: %s", language,
                    error.message);
        fprintf(stderr, "phonemfa-setup: %s\n", i18n_unavailable_here(NULL));
        return -1;
    }
    context->catalogue = *catalogue;
    return 0;
}

/* What the client asked, as root or as a user. */
static int run(struct setup_context *context, const char *config_path, const char *daemon_state, bool is_root,
               int argc, char **argv)
{
    struct phonemfa_config *config = NULL;
    struct config_error error;
    const char *user = NULL;
    char canonical[USER_NAME_MAX + 1];
    int i = 0;

    if (!is_root) {
        /* A user: their own record only. */
        if (argc > 0) {
            /* Said before the configuration, so before any language, is read. */
            fprintf(stderr, "phonemfa-setup: %s\n",
                    T_(NULL, "options and commands are for root; run it without arguments to change your own "
                             "phones"));
            return SETUP_NOT_PERMITTED;
        }
        context->user = context->actor;
    } else {
        int usage = setup_command_options(argc, argv, &user, &i);
        if (usage != SETUP_OK)
            return usage;
        if (strcmp(argv[i], "check") == 0 && i + 1 == argc && user == NULL) {
            printf("ok       phonemfad %s\n", daemon_state);
            return setup_check(config_path, context->actor, context->log);
        }
        if (user == NULL && !(strcmp(argv[i], "users") == 0 && i + 1 == argc))
            return setup_command_without_user(argc - i, argv + i);
        if (user != NULL) {
            if (!user_name_is_valid(user)) {
                fprintf(stderr, "phonemfa-setup: %s\n", T_(NULL, "not a valid user name"));
                return SETUP_USAGE;
            }
            int known = setup_canonical_user(context, user, canonical);
            if (known != SETUP_OK)
                return known;
        }
    }
    if (config_load(config_path, &config, &error) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return SETUP_BROKEN;
    }
    struct directory_error directory_error = {{0}};
    context->config = config;
    context->directory = phone_directory_new(config, NULL, context->log, &directory_error);
    if (context->directory == NULL) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is the technical reason (not translated). */
        fprintf(stderr, T_(NULL, "the phone directory: %s\n"), directory_error.message);
        config_free(config);
        return SETUP_BROKEN;
    }
    struct i18n_catalogue *catalogue = NULL;
    char user_tag[I18N_TAG_MAX] = "";
    int result = SETUP_BROKEN;
    if (speak(context, &catalogue) == 0) {
        /* A code sent to the user's phone is in the user's language. */
        if (context->user != NULL)
            setup_chosen_language(context->directory, context->user, user_tag);
        context->user_language = i18n_pick_language(user_tag, config->locale);
        result = !is_root ? setup_self_service(context)
                 : context->user == NULL ? setup_users(context)
                                         : setup_command_run(context, argc - i, argv + i);
    }
    context->catalogue = NULL;
    context->user_language = NULL;
    i18n_catalogue_free(catalogue);
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
    openlog("phonemfa-setup", LOG_PID, LOG_AUTHPRIV);
    struct passwd pw, *found = NULL;
    char buffer[4096];
    int result = SETUP_NOT_PERMITTED;
    if (getpwuid_r((uid_t)peer_uid, &pw, buffer, sizeof buffer, &found) != 0 || found == NULL ||
        !user_name_is_valid(found->pw_name)) {
        fprintf(stderr, "phonemfa-setup: %s\n", T_(NULL, "who are you? (no valid user name for your uid)"));
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
