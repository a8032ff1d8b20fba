#include "setup_terminal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

/* One line from stdin: the whole line is always consumed, so a refused
 * answer (too long, or holding a NUL byte) never swallows the next one. */
static int read_answer(char *out, size_t out_size)
{
    size_t length = 0;
    bool overlong = false, nul = false;
    int c;

    while ((c = getchar()) != EOF && c != '\n') {
        if (c == '\0')
            nul = true;
        if (length + 1 < out_size)
            out[length++] = (char)c;
        else
            overlong = true;
    }
    out[length] = '\0';
    if (c == EOF && length == 0 && !nul)
        return SETUP_INPUT_END;
    if (overlong || nul) {
        explicit_bzero(out, out_size);
        return overlong ? SETUP_INPUT_TOO_LONG : SETUP_INPUT_INVALID;
    }
    return 0;
}

/* Signals that would end or stop the program while echo is off. They are
 * blocked and taken from a signalfd instead, so no handler (and no global
 * state) is needed to put the terminal back first. */
static void terminal_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGQUIT);
    sigaddset(set, SIGTSTP);
}

/* Wait until a line can be read, handling signals: echo comes back before
 * the program stops (Ctrl-Z) or dies of the signal, as it would have. */
static int wait_hidden(const char *prompt, const struct termios *saved, const struct termios *quiet,
                       int signals_fd)
{
    struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = signals_fd, .events = POLLIN}};

    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (fds[0].revents != 0)
            return 0;
        struct signalfd_siginfo info;
        if (fds[1].revents == 0 || read(signals_fd, &info, sizeof info) != (ssize_t)sizeof info)
            continue;
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, saved);
        fputc('\n', stdout);
        fflush(stdout);
        if (info.ssi_signo != SIGTSTP)
            return (int)info.ssi_signo;
        (void)raise(SIGSTOP);
        /* Continued: hide the answer again and ask anew. */
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, quiet);
        fputs(prompt, stdout);
        fflush(stdout);
    }
}

int setup_read_line(const char *prompt, bool hide, char *out, size_t out_size)
{
    struct termios saved, quiet;
    sigset_t signals, previous;

    out[0] = '\0';
    fputs(prompt, stdout);
    fflush(stdout);
    if (!hide || isatty(STDIN_FILENO) != 1 || tcgetattr(STDIN_FILENO, &saved) != 0)
        return read_answer(out, out_size);

    terminal_signals(&signals);
    if (sigprocmask(SIG_BLOCK, &signals, &previous) != 0)
        return SETUP_INPUT_END;
    int signals_fd = signalfd(-1, &signals, SFD_CLOEXEC);
    quiet = saved;
    quiet.c_lflag &= (tcflag_t)~ECHO;
    int result = SETUP_INPUT_END, caught = -1;
    if (signals_fd >= 0 && tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0) {
        caught = wait_hidden(prompt, &saved, &quiet, signals_fd);
        if (caught == 0)
            result = read_answer(out, out_size);
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        if (caught == 0)
            fputc('\n', stdout);
    }
    if (signals_fd >= 0)
        (void)close(signals_fd);
    (void)sigprocmask(SIG_SETMASK, &previous, NULL);
    if (caught > 0) {
        /* The terminal is back: now the signal does what it would have. */
        (void)signal(caught, SIG_DFL);
        (void)raise(caught);
    }
    return result;
}
