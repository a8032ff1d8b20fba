/* phonemfa-setup: manage the phones pam_phonemfa asks for. An unprivileged
 * client of phonemfad (not setuid): it sends its arguments, prints what the
 * daemon's setup worker writes and answers its questions on the terminal
 * (setup_terminal.c). Who may do what is decided by phonemfad from the
 * kernel's word on who is calling: a user changes their own phones after
 * re-authenticating, root administers anyone's. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_client.h"
#include "env_language.h"
#include "i18n.h"
#include "setup_terminal.h"
#include "setup_usage.h"
#include "wire.h"

#define EXIT_BROKEN 3
#define EXIT_USAGE 2
#define ANSWER_MAX 4096

/* The client's own messages, in the language of its environment (the
 * user's process: see env_language.h). A catalogue that cannot be read
 * leaves them English: nothing here is decided by a message. NULL: English. */
static struct i18n_catalogue *client_catalogue(void)
{
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error error;
    char tag[I18N_TAG_MAX];

    if (!env_language(tag) || i18n_catalogue_load(PHONEMFA_LOCALEDIR, tag, &catalogue, &error) != 0)
        return NULL;
    return catalogue;
}

static int fail(const struct i18n_catalogue *catalogue, const char *why)
{
    fputs("phonemfa-setup: ", stderr);
    /* TRANSLATORS: %s says why (one of the reasons below, or the system's
     * own words). phonemfad is the name of the daemon. */
    fprintf(stderr, T_(catalogue, "phonemfad not available: %s\n"), why);
    return EXIT_BROKEN;
}

static int send_request(int fd, struct wire_builder *frame, int argc, char **argv)
{
    wire_begin(frame, WIRE_SETUP);
    wire_add(frame, WIRE_F_VERSION, WIRE_VERSION);
    for (int i = 0; i < argc; i++)
        wire_add(frame, WIRE_F_ARG, argv[i]);
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
        wire_add(frame, WIRE_F_INTERACTIVE, "yes");
    wire_add(frame, WIRE_F_TTY, ttyname(STDIN_FILENO));
    return wire_finish(frame) == 0 ? wire_send(fd, frame, wire_deadline(10000)) : -1;
}

static int answer(int fd, struct wire_builder *frame, const struct wire_message *prompt)
{
    const char *text = wire_get(prompt, WIRE_F_TEXT, NULL);
    const char *echo = wire_get(prompt, WIRE_F_ECHO, NULL);
    const char *limit = wire_get(prompt, WIRE_F_MAX, NULL);
    char line[ANSWER_MAX];
    size_t size = sizeof line;

    if (text == NULL || echo == NULL)
        return -1;
    if (limit != NULL && strtoul(limit, NULL, 10) + 1 < size)
        size = strtoul(limit, NULL, 10) + 1;
    int read = setup_read_line(text, strcmp(echo, "off") == 0, line, size);
    if (read == 0) {
        wire_begin(frame, WIRE_ANSWER);
        wire_add(frame, WIRE_F_TEXT, line);
    } else {
        wire_begin(frame, WIRE_NO_ANSWER);
        wire_add(frame, WIRE_F_REASON, read == SETUP_INPUT_TOO_LONG ? "too_long"
                                       : read == SETUP_INPUT_INVALID ? "invalid" : "end");
    }
    explicit_bzero(line, sizeof line);
    int rc = wire_finish(frame) == 0 ? wire_send(fd, frame, wire_deadline(10000)) : -1;
    wire_builder_clear(frame);
    return rc;
}

/* --socket PATH or --socket=PATH as the first argument: how many arguments
 * it took (0: none given), or -1 after saying what is wrong. */
static int socket_option(const struct i18n_catalogue *catalogue, int argc, char **argv, const char **path)
{
    if (argc < 2 || strncmp(argv[1], "--socket", 8) != 0 || (argv[1][8] != '\0' && argv[1][8] != '='))
        return 0;
    int taken = argv[1][8] == '=' ? 1 : 2;
    const char *value = taken == 1 ? argv[1] + 9 : argc > 2 ? argv[2] : NULL;
    if (value == NULL || value[0] != '/') {
        fprintf(stderr, "phonemfa-setup: %s\n", T_(catalogue, "--socket takes an absolute path"));
        return -1;
    }
    *path = value;
    return taken;
}

/* Everything but the catalogue: main frees it whatever happens here. */
static int run(const struct i18n_catalogue *catalogue, int argc, char **argv)
{
    const char *socket_path = PHONEMFAD_SOCKET;
    char why[192] = "";
    int status = EXIT_BROKEN;

    int first = socket_option(catalogue, argc, argv, &socket_path);
    if (first < 0)
        return EXIT_USAGE;
    first++;
    /* Answered here, without phonemfad: they need no privilege and work
     * when the daemon is down, for users and root alike. */
    if (argc == first + 1 && (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0))
        return fputs(setup_usage_text(catalogue), stdout) == EOF || fflush(stdout) != 0 ? EXIT_BROKEN : 0;
    if (argc == first + 1 && strcmp(argv[first], "--version") == 0)
        return printf("phonemfa-setup %s\n", PHONEMFA_VERSION) < 0 || fflush(stdout) != 0 ? EXIT_BROKEN : 0;
    struct wire_builder *frame = wire_builder_new();
    struct wire_message *message = wire_message_new();
    int fd = -1;
    if (frame == NULL || message == NULL) {
        status = fail(catalogue, T_(catalogue, "out of memory"));
        goto out;
    }
    fd = daemon_client_connect(socket_path, why, sizeof why);
    if (fd < 0 || send_request(fd, frame, argc - first, argv + first) != 0) {
        status = fail(catalogue, why[0] ? why : T_(catalogue, "the request could not be sent"));
        goto out;
    }
    for (;;) {
        /* The worker keeps the time of each question; this only bounds a
         * daemon that hangs. */
        if (wire_receive(fd, message, wire_deadline(30L * 60L * 1000L)) != 0) {
            status = fail(catalogue, T_(catalogue, "phonemfad ended the session"));
            break;
        }
        const char *text = wire_get(message, WIRE_F_TEXT, NULL);
        const char *stream = wire_get(message, WIRE_F_STREAM, NULL);
        const char *exit_code = wire_get(message, WIRE_F_EXIT, NULL);
        if (message->type == WIRE_OUTPUT && text != NULL && stream != NULL) {
            FILE *to = strcmp(stream, "2") == 0 ? stderr : stdout;
            (void)fputs(text, to);
            (void)fflush(to);
        } else if (message->type == WIRE_PROMPT) {
            if (answer(fd, frame, message) != 0) {
                status = fail(catalogue, T_(catalogue, "the answer could not be sent"));
                break;
            }
        } else if (message->type == WIRE_RESULT && exit_code != NULL) {
            status = (int)strtol(exit_code, NULL, 10);
            break;
        } else if (message->type == WIRE_RESULT) {
            status = fail(catalogue, T_(catalogue, "phonemfad is busy; try again"));
            break;
        } else {
            status = fail(catalogue, T_(catalogue, "phonemfad sent an unexpected message"));
            break;
        }
    }
out:
    if (fd >= 0)
        (void)close(fd);
    wire_message_free(message);
    wire_builder_free(frame);
    return status;
}

int main(int argc, char **argv)
{
    struct i18n_catalogue *catalogue = client_catalogue();
    int status = run(catalogue, argc, argv);

    i18n_catalogue_free(catalogue);
    return status;
}
