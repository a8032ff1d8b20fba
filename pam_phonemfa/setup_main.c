/* phonemfa-setup: manage the phones pam_phonemfa asks for. Installed setuid
 * root like chfn: run by a user it re-authenticates them and changes only
 * their own record (setup_self.c); run by root with --user NAME it is the
 * administrator's tool (setup_admin.c). */
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "i18n.h"
#include "setup_admin.h"
#include "setup_self.h"
#include "user_name.h"

static void emit_to_syslog(void *context, int priority, const char *line)
{
    (void)context;
    syslog(priority, "%s", line);
}

/* Limits of our own, not the caller's: `ulimit -n 6` or `ulimit -f 0`
 * must not make a write or a check fail halfway, and a setuid root program
 * never dumps core. Without CAP_SYS_RESOURCE (some containers) a hard limit
 * the caller lowered cannot be raised again: then what we need must still
 * fit under it, or we refuse before anything is done. */
static int reset_limits(const char **too_low)
{
    static const struct {
        int resource;
        rlim_t soft, hard;
        rlim_t needed; /* the least we work with; 0: best effort */
        const char *name;
    } limits[] = {
        {RLIMIT_CORE, 0, 0, 0, "core"},
        {RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY, RLIM_INFINITY, "file size (ulimit -f)"},
        {RLIMIT_NOFILE, 1024, 4096, 256, "open files (ulimit -n)"},
        {RLIMIT_CPU, RLIM_INFINITY, RLIM_INFINITY, RLIM_INFINITY, "CPU time (ulimit -t)"},
        {RLIMIT_DATA, RLIM_INFINITY, RLIM_INFINITY, 256u << 20, "data size (ulimit -d)"},
        {RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY, 1024u << 20, "address space (ulimit -v)"},
        {RLIMIT_STACK, 8u << 20, RLIM_INFINITY, 1u << 20, "stack size (ulimit -s)"},
        {RLIMIT_NPROC, RLIM_INFINITY, RLIM_INFINITY, 0, "processes"},
        {RLIMIT_LOCKS, RLIM_INFINITY, RLIM_INFINITY, 0, "locks"},
        {RLIMIT_MEMLOCK, 8u << 20, 8u << 20, 0, "locked memory"},
        {RLIMIT_RTTIME, RLIM_INFINITY, RLIM_INFINITY, 0, "real-time CPU time"},
    };

    *too_low = NULL;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        struct rlimit current, wanted = {.rlim_cur = limits[i].soft, .rlim_max = limits[i].hard};
        if (getrlimit(limits[i].resource, &current) != 0)
            return -1;
        if (setrlimit(limits[i].resource, &wanted) != 0) {
            /* No CAP_SYS_RESOURCE: as far as the hard limit allows. */
            wanted.rlim_max = current.rlim_max;
            wanted.rlim_cur = limits[i].soft < current.rlim_max ? limits[i].soft : current.rlim_max;
            if (setrlimit(limits[i].resource, &wanted) != 0)
                return -1;
        }
        if (wanted.rlim_cur < limits[i].needed) {
            *too_low = limits[i].name;
            return -1;
        }
    }
    return 0;
}

/* Signals the caller set to be ignored or blocked are inherited: a SIGXFSZ
 * or SIGPIPE ignored, or a Ctrl-C blocked, would change how we end. */
static int reset_signals(void)
{
    sigset_t none;

    for (int signal_number = 1; signal_number < NSIG; signal_number++)
        if (signal_number != SIGKILL && signal_number != SIGSTOP)
            (void)signal(signal_number, SIG_DFL); /* fails only for numbers glibc reserves */
    return sigemptyset(&none) == 0 && sigprocmask(SIG_SETMASK, &none, NULL) == 0 ? 0 : -1;
}

/* Nothing from the caller's environment reaches this setuid program:
 * no LD_*, locale paths, proxies or PATH of theirs, not their umask,
 * resource limits or signal dispositions. */
static int sanitize_process(const char **too_low)
{
    umask(077);
    if (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) != 0)
        return -1;
    if (reset_limits(too_low) != 0 || reset_signals() != 0)
        return -1;
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
}

static int usage(void)
{
    fputs("usage: phonemfa-setup                 change your own phones (interactive)\n"
          "       phonemfa-setup [--config PATH] check\n"
          "       phonemfa-setup [--config PATH] --user NAME COMMAND\n"
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

int main(int argc, char **argv)
{
    struct log_sink log = {.context = NULL, .emit = emit_to_syslog};
    const char *config_path = PHONEMFA_DEFAULT_CONFIG;
    const char *user = NULL;
    char actor[USER_NAME_MAX + 1] = "root";
    int i = 1;

    if (geteuid() != 0) {
        fputs("phonemfa-setup: not installed setuid root; ask an administrator\n", stderr);
        return SETUP_NOT_PERMITTED;
    }
    const char *too_low = NULL;
    if (sanitize_process(&too_low) != 0) {
        if (too_low != NULL)
            fprintf(stderr, "phonemfa-setup: the %s limit is too low; nothing was done\n", too_low);
        else
            fputs("phonemfa-setup: cannot set up a clean environment\n", stderr);
        return SETUP_BROKEN;
    }
    i18n_bind();
    openlog("phonemfa-setup", LOG_PID, LOG_AUTHPRIV);
    struct passwd pw, *found = NULL;
    char buffer[4096];
    if (getpwuid_r(getuid(), &pw, buffer, sizeof buffer, &found) != 0 || found == NULL ||
        !user_name_is_valid(found->pw_name)) {
        fputs("phonemfa-setup: who are you? (no valid user name for your uid)\n", stderr);
        return SETUP_NOT_PERMITTED;
    }
    (void)snprintf(actor, sizeof actor, "%s", found->pw_name);
    if (getuid() != 0) {
        /* A user: their own record only, the system configuration only. */
        if (argc > 1) {
            fputs("phonemfa-setup: options and commands are for root; run it without arguments to change "
                  "your own phones\n", stderr);
            return SETUP_NOT_PERMITTED;
        }
        struct phonemfa_config *config = NULL;
        struct config_error error;
        if (config_load(PHONEMFA_DEFAULT_CONFIG, &config, &error) != 0) {
            fprintf(stderr, "phonemfa-setup: %s\n", error.message);
            return SETUP_BROKEN;
        }
        struct setup_context context = {.config = config, .log = &log, .actor = actor, .user = actor};
        int result = setup_self_service(&context);
        config_free(config);
        return result;
    }

    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--config") == 0 && argv[i + 1][0] == '/')
            config_path = argv[i + 1];
        else if (strcmp(argv[i], "--user") == 0)
            user = argv[i + 1];
        else
            return usage();
    }
    if (i >= argc)
        return usage();
    if (strcmp(argv[i], "check") == 0 && i + 1 == argc && user == NULL)
        return setup_check(config_path, &log);
    if (user == NULL)
        return usage();
    if (!user_name_is_valid(user)) {
        fputs("phonemfa-setup: not a valid user name\n", stderr);
        return SETUP_USAGE;
    }
    struct phonemfa_config *config = NULL;
    struct config_error error;
    if (config_load(config_path, &config, &error) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return SETUP_BROKEN;
    }
    struct setup_context context = {.config = config, .log = &log, .actor = actor, .user = user};
    int result = run_command(&context, argc - i, argv + i);
    config_free(config);
    closelog();
    return result;
}
