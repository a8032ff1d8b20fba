#include "setup_command.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "setup_language.h"
#include "setup_usage.h"

#define SHOWN_ARGUMENT_MAX 40
#define SHOWN_SIZE (SHOWN_ARGUMENT_MAX + 4)

static int command_usage(const struct i18n_catalogue *catalogue)
{
    (void)fputs(setup_usage_text(catalogue), stderr);
    return SETUP_USAGE;
}

/* An argument shown back in a message: it is root's own, but it may hold
 * escape sequences or be kilobytes long, so only a short, printable form. */
static const char *shown(const char *argument, char out[SHOWN_SIZE])
{
    size_t used = 0, length = strlen(argument);

    for (size_t i = 0; i < length && i < SHOWN_ARGUMENT_MAX && used + 1 < SHOWN_SIZE; i++)
        out[used++] = isprint((unsigned char)argument[i]) ? argument[i] : '?';
    out[used] = '\0';
    if (length > SHOWN_ARGUMENT_MAX && used + 3 < SHOWN_SIZE)
        (void)strcat(out, "...");
    return out;
}

static int usage_error(const struct i18n_catalogue *catalogue, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* A usage error: what is wrong (a whole sentence, translated by the
 * caller), then where the usage is. */
static int usage_error(const struct i18n_catalogue *catalogue, const char *format, ...)
{
    va_list arguments;

    fputs("phonemfa-setup: ", stderr);
    va_start(arguments, format);
    (void)vfprintf(stderr, format, arguments);
    va_end(arguments);
    fputc('\n', stderr);
    fputs(T_(catalogue, "Run phonemfa-setup --help for the usage.\n"), stderr);
    return SETUP_USAGE;
}

static int unknown_command(const struct i18n_catalogue *catalogue, const char *command)
{
    char buffer[SHOWN_SIZE];

    /* TRANSLATORS: %s is what was typed; the command names are typed as
     * they are: keep them and --user NAME in English. */
    return usage_error(catalogue, T_(catalogue, "unknown command \"%s\"; use list, add, remove, preferred, language, "
                                                "reset, lockout or forget (after --user NAME), check or users"),
                       shown(command, buffer));
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
    /* Read before the configuration, so before any language is known. */
    const struct i18n_catalogue *catalogue = NULL;
    char buffer[SHOWN_SIZE];
    const char *ignored = NULL;
    int i = 0;

    *user = NULL;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        enum option_match match = option_value(argc, argv, &i, "--user", user);
        if (match == OPTION_NO_VALUE)
            return usage_error(catalogue, "%s", T_(catalogue, "--user needs a user name"));
        if (match == OPTION_FOUND)
            continue;
        if (option_value(argc, argv, &i, "--config", &ignored) != OPTION_OTHER) {
            fprintf(stderr, "phonemfa-setup: %s\n",
                    T_(catalogue, "the configuration is phonemfad's (phonemfad --config); --config is no longer "
                                  "taken"));
            return SETUP_USAGE;
        }
        /* TRANSLATORS: %s is the option as typed. */
        return usage_error(catalogue, T_(catalogue, "unknown option \"%s\"; before the command only --user NAME "
                                                    "is taken"),
                           shown(argv[i], buffer));
    }
    if (i >= argc)
        return usage_error(catalogue, "%s",
                           T_(catalogue, "no command given; use list, add, remove, preferred, language, reset, "
                                         "lockout or forget (after --user NAME), check or users"));
    *first = i;
    return SETUP_OK;
}

static bool is_global(const char *command)
{
    return strcmp(command, "check") == 0 || strcmp(command, "users") == 0;
}

static bool is_per_user(const char *command)
{
    static const char *const commands[] = {"list", "add", "remove", "preferred", "language", "reset", "lockout",
                                           "forget"};

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(command, commands[i]) == 0)
            return true;
    return false;
}

int setup_command_without_user(int argc, char **argv)
{
    /* Said before the configuration is read: English. */
    const struct i18n_catalogue *catalogue = NULL;
    char buffer[SHOWN_SIZE];

    if (is_per_user(argv[0])) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is a command (list, add, ...). */
        fprintf(stderr, T_(catalogue, "%s needs --user NAME before it\n"), argv[0]);
        return SETUP_USAGE;
    }
    if (is_global(argv[0]) && argc > 1)
        /* TRANSLATORS: %s is a command (check or users). */
        return usage_error(catalogue, T_(catalogue, "\"%s\" takes no arguments"), shown(argv[0], buffer));
    return unknown_command(catalogue, argv[0]);
}

/* The value of --verify: text or call, else a usage error naming it. */
static int verify_method(const struct i18n_catalogue *catalogue, enum option_match match, const char *value,
                         const char **method)
{
    char buffer[SHOWN_SIZE];

    if (match == OPTION_NO_VALUE)
        /* TRANSLATORS: text and call are typed as they are. */
        return usage_error(catalogue, "%s", T_(catalogue, "--verify needs a verification method; use text or call"));
    if (strcmp(value, "text") != 0 && strcmp(value, "call") != 0)
        /* TRANSLATORS: %s is what was typed; text and call are typed as
         * they are. */
        return usage_error(catalogue, T_(catalogue, "unknown verification method \"%s\"; use text or call"),
                           shown(value, buffer));
    *method = value;
    return SETUP_OK;
}

static int run_add(struct setup_context *context, int argc, char **argv)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    struct add_request request = {.slot = argv[1], .number = argv[2]};
    char buffer[SHOWN_SIZE];

    for (int i = 3; i < argc; i++) {
        const char *value = "";
        enum option_match match;
        if (strcmp(argv[i], "--no-verify") == 0) {
            request.no_verify = true;
        } else if ((match = option_value(argc, argv, &i, "--verify", &value)) != OPTION_OTHER) {
            if (verify_method(catalogue, match, value, &request.verify_channel) != SETUP_OK)
                return SETUP_USAGE;
        } else if ((match = option_value(argc, argv, &i, "--channels", &request.channels)) != OPTION_OTHER) {
            if (match == OPTION_NO_VALUE)
                return usage_error(catalogue, "%s",
                                   T_(catalogue, "--channels needs a list; use text, call or text,call"));
        } else {
            /* TRANSLATORS: %s is the argument as typed; the options are
             * typed as they are. */
            return usage_error(catalogue, T_(catalogue, "add does not take \"%s\"; it takes --verify text|call, "
                                                        "--no-verify and --channels LIST"),
                               shown(argv[i], buffer));
        }
    }
    if (request.no_verify == (request.verify_channel != NULL)) {
        fprintf(stderr, "phonemfa-setup: %s\n",
                T_(catalogue, "add needs --verify text|call (send a code first) or --no-verify (assisted "
                              "enrollment, recorded as unverified)"));
        return SETUP_USAGE;
    }
    return setup_add(context, &request);
}

/* remove SLOT [--yes], in either order. */
static int run_remove(struct setup_context *context, int argc, char **argv)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    char buffer[SHOWN_SIZE];
    const char *slot = NULL;
    bool yes = false;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--yes") == 0 && !yes)
            yes = true;
        else if (strncmp(argv[i], "--", 2) != 0 && slot == NULL)
            slot = argv[i];
        else
            /* TRANSLATORS: %s is the argument as typed. */
            return usage_error(catalogue, T_(catalogue, "remove takes a slot and --yes, not \"%s\""),
                               shown(argv[i], buffer));
    }
    if (slot == NULL)
        return usage_error(catalogue, "%s",
                           /* TRANSLATORS: primary, alternate and office are typed as they are. */
                           T_(catalogue, "remove needs a slot: primary, alternate or office"));
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
    if (strcmp(command, "language") == 0 && argc == 2)
        return setup_language(context, argv[1]);
    if (is_global(command)) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is a command (check or users). */
        fprintf(stderr, T_(context->catalogue, "%s is not for one user: run it without --user\n"), command);
        return SETUP_USAGE;
    }
    if (!is_per_user(command))
        return unknown_command(context->catalogue, command);
    fputs("phonemfa-setup: ", stderr);
    /* TRANSLATORS: %s is a command (list, add, ...). */
    fprintf(stderr, T_(context->catalogue, "wrong arguments for %s\n"), command);
    return command_usage(context->catalogue);
}
