/* A PAM application for tests: runs pam_authenticate() through the real
 * libpam with a private configuration directory and speaks JSON lines.
 *
 *   stdout: {"event":"prompt","style":"echo_off","text":"..."}   then reads one answer line
 *           {"event":"error"|"info","text":"..."}
 *           {"event":"log","priority":5,"text":"pam_phonemfa(svc:auth): ..."}
 *           {"event":"result","code":7,"name":"PAM_AUTH_ERR"}
 *   stdin:  one line per prompt; end of input makes the conversation fail.
 *
 * It defines syslog() and friends itself (linked with -rdynamic) so the
 * module's pam_syslog() lines come here instead of the system log. */
#include <security/pam_appl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void print_json_string(const char *text)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void print_event(const char *event, const char *key, const char *value)
{
    printf("{\"event\":\"%s\",\"%s\":", event, key);
    print_json_string(value);
    puts("}");
    fflush(stdout);
}

void vsyslog(int priority, const char *format, va_list args) __attribute__((format(printf, 2, 0)));
void syslog(int priority, const char *format, ...) __attribute__((format(printf, 2, 3)));
void __vsyslog_chk(int priority, int flag, const char *format, va_list args) __attribute__((format(printf, 3, 0)));
void __syslog_chk(int priority, int flag, const char *format, ...) __attribute__((format(printf, 3, 4)));

void vsyslog(int priority, const char *format, va_list args)
{
    char line[4096];

    (void)vsnprintf(line, sizeof line, format, args);
    printf("{\"event\":\"log\",\"priority\":%d,\"facility\":%d,\"text\":", priority & 7,
           (priority & ~7) >> 3);
    print_json_string(line);
    puts("}");
    fflush(stdout);
}

void syslog(int priority, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsyslog(priority, format, args);
    va_end(args);
}

void __vsyslog_chk(int priority, int flag, const char *format, va_list args)
{
    (void)flag;
    vsyslog(priority, format, args);
}

void __syslog_chk(int priority, int flag, const char *format, ...)
{
    va_list args;
    (void)flag;
    va_start(args, format);
    vsyslog(priority, format, args);
    va_end(args);
}

static int scripted_conversation(int count, const struct pam_message **messages,
                                 struct pam_response **responses, void *data)
{
    (void)data;
    struct pam_response *replies = calloc((size_t)count, sizeof *replies);
    if (replies == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < count; i++) {
        const struct pam_message *message = messages[i];
        switch (message->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON: {
            printf("{\"event\":\"prompt\",\"style\":\"%s\",\"text\":",
                   message->msg_style == PAM_PROMPT_ECHO_OFF ? "echo_off" : "echo_on");
            print_json_string(message->msg);
            puts("}");
            fflush(stdout);
            char *line = NULL;
            size_t size = 0;
            ssize_t length = getline(&line, &size, stdin);
            if (length < 0) {
                free(line);
                for (int j = 0; j < i; j++)
                    free(replies[j].resp);
                free(replies);
                print_event("conversation", "text", "end of input");
                return PAM_CONV_ERR;
            }
            if (length > 0 && line[length - 1] == '\n')
                line[length - 1] = '\0';
            replies[i].resp = line;
            break;
        }
        case PAM_ERROR_MSG:
            print_event("error", "text", message->msg);
            break;
        case PAM_TEXT_INFO:
            print_event("info", "text", message->msg);
            break;
        default:
            free(replies);
            return PAM_CONV_ERR;
        }
    }
    *responses = replies;
    return PAM_SUCCESS;
}

static void usage(void)
{
    fputs("usage: pamclient --confdir DIR --service NAME --user USER [--rhost HOST] [--tty TTY]\n"
          "                 [--ruser USER] [--silent] [--no-conv] [--file-size-limit BYTES]\n"
          "                 [--pam-env NAME=VALUE]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *confdir = NULL, *service = NULL, *user = NULL, *rhost = NULL, *tty = NULL;
    const char *ruser = NULL, *pam_env = NULL;
    int flags = 0;
    struct pam_conv conversation = {scripted_conversation, NULL};
    pam_handle_t *pamh = NULL;

    for (int i = 1; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--silent") == 0) { flags |= PAM_SILENT; continue; }
        if (strcmp(argv[i], "--no-conv") == 0) { conversation.conv = NULL; continue; }
        if (next == NULL)
            usage();
        if (strcmp(argv[i], "--confdir") == 0) confdir = next;
        else if (strcmp(argv[i], "--service") == 0) service = next;
        else if (strcmp(argv[i], "--user") == 0) user = next;
        else if (strcmp(argv[i], "--rhost") == 0) rhost = next;
        else if (strcmp(argv[i], "--tty") == 0) tty = next;
        else if (strcmp(argv[i], "--ruser") == 0) ruser = next;
        /* NAME=VALUE the application itself puts in the PAM environment
         * before pam_authenticate (none of sshd, sudo, su, login does). */
        else if (strcmp(argv[i], "--pam-env") == 0) pam_env = next;
        else if (strcmp(argv[i], "--file-size-limit") == 0) {
            /* What `ulimit -f` before su does: set inside the application
             * (under valgrind too), with SIGXFSZ ignored as the caller can. */
            struct rlimit limit = {.rlim_cur = strtoul(next, NULL, 10), .rlim_max = strtoul(next, NULL, 10)};
            if (setrlimit(RLIMIT_FSIZE, &limit) != 0 || signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
                usage();
        }
        else usage();
        i++;
    }
    if (confdir == NULL || service == NULL || user == NULL)
        usage();

    int rc = pam_start_confdir(service, user, &conversation, confdir, &pamh);
    if (rc == PAM_SUCCESS && rhost) rc = pam_set_item(pamh, PAM_RHOST, rhost);
    if (rc == PAM_SUCCESS && tty) rc = pam_set_item(pamh, PAM_TTY, tty);
    if (rc == PAM_SUCCESS && ruser) rc = pam_set_item(pamh, PAM_RUSER, ruser);
    if (rc == PAM_SUCCESS && pam_env) rc = pam_putenv(pamh, pam_env);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(pamh, flags);
    printf("{\"event\":\"result\",\"code\":%d,\"name\":", rc);
    print_json_string(pamh ? pam_strerror(pamh, rc) : "pam_start failed");
    puts("}");
    fflush(stdout);
    if (pamh != NULL)
        pam_end(pamh, rc);
    return 0;
}
