#include "setup_command.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "setup_usage.h"

#define SHOWN_ARGUMENT_MAX 40
#define COMMANDS "list, add, remove, preferred, reset, lockout or forget (after --user NAME), check or users"

static int command_usage(void)
{
    (void)fputs(setup_usage_text, stderr);
    return SETUP_USAGE;
}

/* An argument shown back in a message: it is root's own, but it may hold
 * escape sequences or be kilobytes long, so only a short, printable form. */
static void show_argument(const char *argument, char *out, size_t out_size)
{
    size_t used = 0, length = strlen(argument);

    for (size_t i = 0; i < length && i < SHOWN_ARGUMENT_MAX && used + 1 < out_size; i++)
        out[used++] = isprint((unsigned char)argument[i]) ? argument[i] : '?';
    out[used] = '\0';
    if (length > SHOWN_ARGUMENT_MAX && used + 3 < out_size)
        (void)strcat(out, "...");
}

/* A usage error: what is wrong, then where the usage is. With argument:
 * before "argument" after, the argument shown safely. */
static int usage_error(const char *before, const char *argument, const char *after)
{
    char shown[SHOWN_ARGUMENT_MAX + 4];

    fprintf(stderr, "phonemfa-setup: %s", before);
    if (argument != NULL) {
        show_argument(argument, shown, sizeof shown);
        fprintf(stderr, "\"%s\"%s", shown, after);
    }
    fputs("\nRun phonemfa-setup --help for the usage.\n", stderr);
    return SETUP_USAGE;
}

static int unknown_command(const char *command)
{
    return usage_error("unknown command ", command, "; use " COMMANDS);
}

enum option_match { OPTION_OTHER, OPTION_FOUND, OPTION_NO_VALUE };

/* "--name VALUE" or "--name=VALUE" at argv[*i] (moved past the value). */
static enum option_match option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t length = strlen(name);

    if (strncmp(argv[*i], name, length) != 0)
        return OPTION_OTHER;
    if (argv[*i][length] == '=') {
        *value = argv[*i] + length + 1;
        return OPTION_FOUND;
    }
    if (argv[*i][length] != '\0')
        return OPTION_OTHER;
    if (*i + 1 >= argc)
        return OPTION_NO_VALUE;
    *value = argv[++*i];
    return OPTION_FOUND;
}

int setup_command_options(int argc, char **argv, const char **user, int *first)
{
    const char *ignored = NULL;
    int i = 0;

    *user = NULL;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        enum option_match match = option_value(argc, argv, &i, "--user", user);
        if (match == OPTION_NO_VALUE)
            return usage_error("--user needs a user name", NULL, NULL);
        if (match == OPTION_FOUND)
            continue;
        if (option_value(argc, argv, &i, "--config", &ignored) != OPTION_OTHER) {
            fputs("phonemfa-setup: the configuration is phonemfad's (phonemfad --config); "
                  "--config is no longer taken\n", stderr);
            return SETUP_USAGE;
        }
        return usage_error("unknown option ", argv[i], "; before the command only --user NAME is taken");
    }
    if (i >= argc)
        return usage_error("no command given; use " COMMANDS, NULL, NULL);
    *first = i;
    return SETUP_OK;
}

static bool is_global(const char *command)
{
    return strcmp(command, "check") == 0 || strcmp(command, "users") == 0;
}

static bool is_per_user(const char *command)
{
    static const char *const commands[] = {"list", "add", "remove", "preferred", "reset", "lockout", "forget"};

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(command, commands[i]) == 0)
            return true;
    return false;
}

int setup_command_without_user(int argc, char **argv)
{
    if (is_per_user(argv[0])) {
        fprintf(stderr, "phonemfa-setup: %s needs --user NAME before it\n", argv[0]);
        return SETUP_USAGE;
    }
    if (is_global(argv[0]) && argc > 1)
        return usage_error("", argv[0], " takes no arguments");
    return unknown_command(argv[0]);
}

/* The value of --verify: text or call, else a usage error naming it. */
static int verify_method(enum option_match match, const char *value, const char **method)
{
    if (match == OPTION_NO_VALUE)
        return usage_error("--verify needs a verification method; use text or call", NULL, NULL);
    if (strcmp(value, "text") != 0 && strcmp(value, "call") != 0)
        return usage_error("unknown verification method ", value, "; use text or call");
    *method = value;
    return SETUP_OK;
}

static int run_add(struct setup_context *context, int argc, char **argv)
{
    struct add_request request = {.slot = argv[1], .number = argv[2]};

    for (int i = 3; i < argc; i++) {
        const char *value = "";
        enum option_match match;
        if (strcmp(argv[i], "--no-verify") == 0) {
            request.no_verify = true;
        } else if ((match = option_value(argc, argv, &i, "--verify", &value)) != OPTION_OTHER) {
            if (verify_method(match, value, &request.verify_channel) != SETUP_OK)
                return SETUP_USAGE;
        } else if ((match = option_value(argc, argv, &i, "--channels", &request.channels)) != OPTION_OTHER) {
            if (match == OPTION_NO_VALUE)
                return usage_error("--channels needs a list; use text, call or text,call", NULL, NULL);
        } else {
            return usage_error("add does not take ", argv[i],
                               "; it takes --verify text|call, --no-verify and --channels LIST");
        }
    }
    if (request.no_verify == (request.verify_channel != NULL)) {
        fputs("phonemfa-setup: add needs --verify text|call (send a code first) or --no-verify "
              "(assisted enrollment, recorded as unverified)\n", stderr);
        return SETUP_USAGE;
    }
    return setup_add(context, &request);
}

/* remove SLOT [--yes], in either order. */
static int run_remove(struct setup_context *context, int argc, char **argv)
{
    const char *slot = NULL;
    bool yes = false;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--yes") == 0 && !yes)
            yes = true;
        else if (strncmp(argv[i], "--", 2) != 0 && slot == NULL)
            slot = argv[i];
        else
            return usage_error("remove takes a slot and --yes, not ", argv[i], "");
    }
    if (slot == NULL)
        return usage_error("remove needs a slot: primary, alternate or office", NULL, NULL);
    return setup_remove(context, slot, yes);
}

int setup_command_run(struct setup_context *context, int argc, char **argv)
{
    const char *command = argv[0];

    if (strcmp(command, "list") == 0 && (argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)))
        return setup_list(context, argc == 2);
    if (strcmp(command, "remove") == 0)
        return run_remove(context, argc, argv);
    if (strcmp(command, "preferred") == 0 && argc == 3)
        return setup_preferred(context, argv[1], argv[2]);
    if (strcmp(command, "reset") == 0 && argc == 1)
        return setup_reset(context);
    if (strcmp(command, "lockout") == 0 && (argc == 1 || (argc == 2 && strcmp(argv[1], "--clear") == 0)))
        return setup_lockout(context, argc == 2);
    if (strcmp(command, "forget") == 0 && argc == 1)
        return setup_forget(context);
    if (strcmp(command, "add") == 0 && argc >= 4)
        return run_add(context, argc, argv);
    if (is_global(command)) {
        fprintf(stderr, "phonemfa-setup: %s is not for one user: run it without --user\n", command);
        return SETUP_USAGE;
    }
    if (!is_per_user(command))
        return unknown_command(command);
    fprintf(stderr, "phonemfa-setup: wrong arguments for %s\n", command);
    return command_usage();
}
