/* phonemfad: start-up, the configuration (loaded, reloaded on SIGHUP), the
 * accept loop and the bounded set of connection threads. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "daemon_socket.h"
#include "phone_directory.h"
#include "secure_mem.h"
#include "http_client.h"
#include "setup_worker.h"
#include "i18n.h"
#include "wire.h"

#define THREAD_STACK_SIZE (512u * 1024u)
#define POOL_PRUNE_INTERVAL_MS 10000
#define STOP_WAIT_SECONDS 15
#define KEEP_ENV_MAX 16

void daemon_log(const struct daemon *daemon, int priority, const char *format, ...)
{
    char line[LOG_LINE_MAX];
    va_list args;

    va_start(args, format);
    log_vformat(line, sizeof line, format, args);
    va_end(args);
    if (line[0] == '\0')
        return;
    if (daemon->options.log_to_stderr) {
        char out[LOG_LINE_MAX + 16];
        int length = snprintf(out, sizeof out, "phonemfad: %s\n", line);
        if (length > 0)
            (void)!write(STDERR_FILENO, out, (size_t)length < sizeof out ? (size_t)length : sizeof out - 1);
    } else {
        syslog(priority, "%s", line);
    }
}

static void emit_daemon_line(void *context, int priority, const char *line)
{
    daemon_log(context, priority, "%s", line);
}

/* Every line of a connection carries the client's pid: the pid of the sshd,
 * su or sudo in their own log lines. */
static void emit_connection_line(void *context, int priority, const char *line)
{
    const struct connection *connection = context;
    daemon_log(connection->daemon, priority, "[%ld] %s", (long)connection->pid, line);
}

/* The configuration and the phone directory made from it: a directory
 * that cannot be made is a configuration that did not load. */
static struct loaded_config *load_config(struct daemon *daemon, const char *path)
{
    struct loaded_config *loaded = calloc(1, sizeof *loaded);
    struct config_error error;
    struct directory_error directory_error = {{0}};

    if (loaded == NULL)
        return NULL;
    loaded->references = 1;
    if (config_load(path, &loaded->config, &error) != 0) {
        loaded->config = NULL;
        (void)snprintf(loaded->error, sizeof loaded->error, "%s", error.message);
        return loaded;
    }
    loaded->directory = phone_directory_new(loaded->config, daemon->pool, &daemon->log, &directory_error);
    if (loaded->directory != NULL && loaded->config->directory != DIRECTORY_FILES &&
        loaded->config->unenrolled == UNENROLLED_IGNORE)
        daemon_log(daemon, LOG_WARNING,
                   "login.unenrolled = \"ignore\" with phones from %s: every user it shows no phone for passes "
                   "without a second factor (a reader that may not see the phone attributes shows none)",
                   phone_directory_where(loaded->directory));
    if (loaded->directory == NULL) {
        (void)snprintf(loaded->error, sizeof loaded->error, "%s: the phone directory: %s", path,
                       directory_error.message);
        config_free(loaded->config);
        loaded->config = NULL;
    }
    return loaded;
}

struct loaded_config *daemon_config_acquire(struct daemon *daemon)
{
    (void)pthread_mutex_lock(&daemon->lock);
    struct loaded_config *loaded = daemon->config;
    loaded->references++;
    (void)pthread_mutex_unlock(&daemon->lock);
    return loaded;
}

void daemon_config_release(struct daemon *daemon, struct loaded_config *loaded)
{
    (void)pthread_mutex_lock(&daemon->lock);
    bool last = --loaded->references == 0;
    (void)pthread_mutex_unlock(&daemon->lock);
    if (last) {
        phone_directory_free(loaded->directory);
        config_free(loaded->config);
        free(loaded);
    }
}

/* SIGHUP: a configuration that does not load never replaces one that did. */
static void reload(struct daemon *daemon, const char *notify_socket)
{
    char message[64];

    struct timespec now = {0};
    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    (void)snprintf(message, sizeof message, "RELOADING=1\nMONOTONIC_USEC=%lld",
                   (long long)now.tv_sec * 1000000LL + now.tv_nsec / 1000);
    daemon_notify(notify_socket, message);
    struct loaded_config *fresh = load_config(daemon, daemon->options.config_path);
    if (fresh == NULL) {
        daemon_log(daemon, LOG_ERR, "configuration reload FAILED: out of memory; keeping the one loaded before");
    } else if (fresh->config == NULL && daemon->config->config != NULL) {
        daemon_log(daemon, LOG_ERR, "configuration reload FAILED, keeping the one loaded before: %s", fresh->error);
        (void)pthread_mutex_lock(&daemon->lock);
        (void)snprintf(daemon->reload_error, sizeof daemon->reload_error, "%s", fresh->error);
        (void)pthread_mutex_unlock(&daemon->lock);
        daemon_config_release(daemon, fresh);
    } else {
        (void)pthread_mutex_lock(&daemon->lock);
        struct loaded_config *old = daemon->config;
        daemon->config = fresh;
        daemon->reload_error[0] = '\0';
        (void)pthread_mutex_unlock(&daemon->lock);
        daemon_config_release(daemon, old);
        if (fresh->config != NULL)
            daemon_log(daemon, LOG_INFO, "configuration reloaded from %s", daemon->options.config_path);
        else
            daemon_log(daemon, LOG_ERR, "configuration still not valid, every login is refused: %s", fresh->error);
    }
    daemon_notify(notify_socket, "READY=1");
}

bool daemon_noise_allowed(struct daemon *daemon)
{
    unsigned long held_back = 0;
    long now = wire_now_ms();

    (void)pthread_mutex_lock(&daemon->lock);
    if (now - daemon->noise_window_ms >= DAEMON_NOISE_WINDOW_MS) {
        held_back = daemon->noise_suppressed;
        daemon->noise_window_ms = now;
        daemon->noise_lines = 0;
        daemon->noise_suppressed = 0;
    }
    bool allowed = daemon->noise_lines < DAEMON_NOISE_LINES;
    if (allowed)
        daemon->noise_lines++;
    else
        daemon->noise_suppressed++;
    (void)pthread_mutex_unlock(&daemon->lock);
    if (held_back > 0)
        daemon_log(daemon, LOG_WARNING,
                   "%lu more lines about turned away, refused or broken clients held back in %d s",
                   held_back, DAEMON_NOISE_WINDOW_MS / 1000);
    return allowed;
}

bool daemon_claim_account(struct daemon *daemon, struct connection *connection, const char *account)
{
    unsigned same = 0;

    (void)pthread_mutex_lock(&daemon->lock);
    for (const struct connection *c = daemon->connections; c != NULL; c = c->next)
        same += c != connection && strcmp(c->account, account) == 0;
    bool room = same < daemon->options.max_per_account;
    if (room)
        (void)snprintf(connection->account, sizeof connection->account, "%s", account);
    (void)pthread_mutex_unlock(&daemon->lock);
    return room;
}

void daemon_describe(struct daemon *daemon, char *out, size_t out_size)
{
    (void)pthread_mutex_lock(&daemon->lock);
    (void)snprintf(out, out_size, "running (pid %ld, version %s): %u of at most %u logins at once, %lu served; %s%s",
                   (long)getpid(), PHONEMFA_VERSION, daemon->active, daemon->options.max_logins, daemon->served,
                   daemon->reload_error[0] ? "the last reload FAILED, the configuration loaded before is in use: "
                                           : "configuration as loaded",
                   daemon->reload_error);
    (void)pthread_mutex_unlock(&daemon->lock);
}

/* Off the list and the count; under daemon->lock. */
static void forget_connection(struct daemon *daemon, struct connection *connection)
{
    for (struct connection **link = &daemon->connections; *link != NULL; link = &(*link)->next)
        if (*link == connection) {
            *link = connection->next;
            break;
        }
    daemon->active--;
}

static void *connection_thread(void *argument)
{
    struct connection *connection = argument;
    struct daemon *daemon = connection->daemon;

    daemon_serve(connection);
    /* Off the list before the fd is closed: stop() must never shut down a
     * number another thread has just been given. */
    (void)pthread_mutex_lock(&daemon->lock);
    forget_connection(daemon, connection);
    daemon->served++;
    if (daemon->active == 0)
        (void)pthread_cond_broadcast(&daemon->all_done);
    (void)pthread_mutex_unlock(&daemon->lock);
    (void)close(connection->fd);
    free(connection);
    return NULL;
}

/* A client turned away before its request is read: it learns why at once
 * instead of waiting for its own timeout. */
static void turn_away(int fd)
{
    struct wire_builder frame;

    wire_begin(&frame, WIRE_RESULT);
    wire_add(&frame, WIRE_F_OUTCOME, "service_unavailable");
    wire_add(&frame, WIRE_F_REASON, "daemon_busy");
    if (wire_finish(&frame) == 0)
        (void)wire_send(fd, &frame, wire_deadline(100));
}

/* Room for one more login, under the lock: all clients together, and a
 * non-root uid (anyone can connect) never more than its share. */
static const char *room_for(struct daemon *daemon, uid_t uid)
{
    unsigned same_uid = 0;

    if (daemon->stopping)
        return "stopping";
    if (daemon->active >= daemon->options.max_logins)
        return "the limit of logins at once (--max-logins) is reached";
    for (const struct connection *c = daemon->connections; c != NULL; c = c->next)
        same_uid += c->uid == uid;
    if (uid != 0 && same_uid >= daemon->options.max_per_uid)
        return "this uid's limit of logins at once (--max-per-uid) is reached";
    return NULL;
}

static void accept_one(struct daemon *daemon, int listen_fd, const pthread_attr_t *attributes)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return; /* EAGAIN, a client gone already, EMFILE: the next poll tries again */
    struct ucred peer;
    socklen_t length = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 || length != sizeof peer) {
        daemon_log(daemon, LOG_ERR, "a client without credentials (SO_PEERCRED) is refused");
        (void)close(fd);
        return;
    }
    struct connection *connection = calloc(1, sizeof *connection);
    if (connection == NULL) {
        turn_away(fd);
        (void)close(fd);
        return;
    }
    *connection = (struct connection){.daemon = daemon, .fd = fd, .pid = peer.pid, .uid = peer.uid, .gid = peer.gid};
    connection->log = (struct log_sink){.context = connection, .emit = emit_connection_line};
    (void)pthread_mutex_lock(&daemon->lock);
    const char *full = room_for(daemon, peer.uid);
    if (full == NULL) {
        connection->next = daemon->connections;
        daemon->connections = connection;
        daemon->active++;
    }
    (void)pthread_mutex_unlock(&daemon->lock);
    if (full != NULL) {
        if (daemon_noise_allowed(daemon))
            daemon_log(daemon, LOG_WARNING, "[%ld] turned away (uid %lu): %s", (long)peer.pid,
                       (unsigned long)peer.uid, full);
        turn_away(fd);
        (void)close(fd);
        free(connection);
        return;
    }
    pthread_t thread;
    int rc = pthread_create(&thread, attributes, connection_thread, connection);
    if (rc != 0) {
        daemon_log(daemon, LOG_ERR, "[%ld] turned away: cannot start a thread (error %d)", (long)peer.pid, rc);
        (void)pthread_mutex_lock(&daemon->lock);
        forget_connection(daemon, connection);
        (void)pthread_mutex_unlock(&daemon->lock);
        turn_away(fd);
        (void)close(fd);
        free(connection);
    }
}

/* Stop: no new clients; those still connected are cut off (their logins end
 * as abandoned, their verifications cancelled) and waited for. */
static void stop(struct daemon *daemon)
{
    struct timespec until;

    (void)pthread_mutex_lock(&daemon->lock);
    daemon->stopping = true;
    for (struct connection *c = daemon->connections; c != NULL; c = c->next)
        (void)shutdown(c->fd, SHUT_RDWR);
    (void)clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STOP_WAIT_SECONDS;
    while (daemon->active > 0)
        if (pthread_cond_timedwait(&daemon->all_done, &daemon->lock, &until) == ETIMEDOUT)
            break;
    unsigned left = daemon->active;
    (void)pthread_mutex_unlock(&daemon->lock);
    if (left > 0)
        daemon_log(daemon, LOG_WARNING, "stopping with %u logins still running", left);
}

static int serve(struct daemon *daemon, int listen_fd, const char *where, const char *notify_socket)
{
    sigset_t signals;
    pthread_attr_t attributes;

    (void)sigemptyset(&signals);
    (void)sigaddset(&signals, SIGHUP);
    (void)sigaddset(&signals, SIGTERM);
    (void)sigaddset(&signals, SIGINT);
    int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0 || pthread_attr_init(&attributes) != 0 ||
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED) != 0 ||
        pthread_attr_setstacksize(&attributes, THREAD_STACK_SIZE) != 0) {
        daemon_log(daemon, LOG_ERR, "cannot set up signals or threads");
        return 1;
    }
    daemon_notify(notify_socket, "READY=1");
    daemon_log(daemon, LOG_INFO, "ready: listening on %s (version %s, at most %u logins at once)", where,
               PHONEMFA_VERSION, daemon->options.max_logins);
    for (;;) {
        struct pollfd fds[2] = {{.fd = listen_fd, .events = POLLIN}, {.fd = signal_fd, .events = POLLIN}};
        int ready = poll(fds, 2, POOL_PRUNE_INTERVAL_MS);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready == 0) {
            http_pool_prune(daemon->pool); /* idle connections do not stay open for ever */
            continue;
        }
        if (fds[1].revents != 0) {
            struct signalfd_siginfo info;
            if (read(signal_fd, &info, sizeof info) == (ssize_t)sizeof info) {
                if (info.ssi_signo == SIGHUP) {
                    reload(daemon, notify_socket);
                    continue;
                }
                daemon_log(daemon, LOG_INFO, "stopping (signal %u)", info.ssi_signo);
                break;
            }
        }
        if (fds[0].revents != 0)
            accept_one(daemon, listen_fd, &attributes);
    }
    daemon_notify(notify_socket, "STOPPING=1");
    (void)pthread_attr_destroy(&attributes);
    (void)close(signal_fd);
    return 0;
}

/* Limits of the daemon's own: no core dumps (they would hold secrets), room
 * for many clients' sockets and service connections. */
static int set_limits(void)
{
    struct rlimit none = {0, 0}, files;

    if (setrlimit(RLIMIT_CORE, &none) != 0 || getrlimit(RLIMIT_NOFILE, &files) != 0)
        return -1;
    files.rlim_cur = files.rlim_max < 65536 ? files.rlim_max : 65536;
    return setrlimit(RLIMIT_NOFILE, &files) == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
}

/* Nothing of whoever started the daemon but what it is told to keep:
 * systemd's activation variables, and --keep-env names (a test's
 * nss_wrapper). fds 0-2 are made to exist, so that no socket becomes one. */
static int clean_process(const char *const *keep, size_t keep_count)
{
    char *kept[KEEP_ENV_MAX + 3][2];
    static const char *const systemd[] = {"LISTEN_PID", "LISTEN_FDS", "NOTIFY_SOCKET"};
    size_t count = 0;

    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0) {
            int opened = open("/dev/null", O_RDWR);
            if (opened != fd)
                return -1;
        }
    int rc = 0;
    for (size_t i = 0; i < keep_count + 3 && rc == 0; i++) {
        const char *name = i < 3 ? systemd[i] : keep[i - 3];
        const char *value = getenv(name);
        if (value == NULL)
            continue;
        kept[count][0] = strdup(name);
        kept[count][1] = strdup(value);
        count++;
        if (kept[count - 1][0] == NULL || kept[count - 1][1] == NULL)
            rc = -1;
    }
    /* LDAPNOINIT: libldap reads no ldap.conf, ldaprc or LDAP* variables;
     * every LDAP option is phonemfa.conf's (directory_ldap.c). */
    if (rc == 0 && (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) != 0 ||
                    setenv("LDAPNOINIT", "1", 1) != 0))
        rc = -1;
    /* No file is ever looked for relative to where root started it. */
    if (rc == 0 && chdir("/") != 0)
        rc = -1;
    for (size_t i = 0; i < count; i++) {
        if (rc == 0 && setenv(kept[i][0], kept[i][1], 1) != 0)
            rc = -1;
        free(kept[i][0]);
        free(kept[i][1]);
    }
    umask(077);
    return rc;
}

static int usage(void)
{
    fputs("usage: phonemfad [-f] [--config PATH] [--socket PATH] [--max-logins N] [--max-per-uid N]\n"
          "                 [--max-per-account N] [--keep-env NAME]...\n"
          "       phonemfad --check-config [--config PATH]\n",
          stderr);
    return 2;
}

static bool parse_count(const char *text, unsigned maximum, unsigned *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long parsed = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < 1 || parsed > maximum)
        return false;
    *value = (unsigned)parsed;
    return true;
}

int main(int argc, char **argv)
{
    secure_json_allocator(); /* before any thread, and any JSON */
    if (argc > 1 && strcmp(argv[1], SETUP_WORKER_FLAG) == 0)
        return setup_worker_main(argc, argv);
    static const struct option options[] = {
        {"foreground", no_argument, NULL, 'f'},   {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'}, {"max-logins", required_argument, NULL, 'm'},
        {"max-per-uid", required_argument, NULL, 'u'}, {"max-per-account", required_argument, NULL, 'a'},
        {"keep-env", required_argument, NULL, 'k'},
        {"check-config", no_argument, NULL, 't'}, {NULL, 0, NULL, 0},
    };
    struct daemon daemon = {
        .options = {.config_path = PHONEMFA_DEFAULT_CONFIG, .socket_path = PHONEMFAD_DEFAULT_SOCKET,
                    .max_logins = DAEMON_DEFAULT_MAX_LOGINS, .max_per_uid = DAEMON_DEFAULT_MAX_PER_UID,
                    .max_per_account = DAEMON_DEFAULT_MAX_PER_ACCOUNT},
    };
    const char *keep[KEEP_ENV_MAX];
    size_t keep_count = 0;
    bool check_only = false;
    int option;

    while ((option = getopt_long(argc, argv, "fc:s:t", options, NULL)) != -1) {
        switch (option) {
        case 'f': daemon.options.log_to_stderr = true; break;
        case 'c': daemon.options.config_path = optarg; break;
        case 's': daemon.options.socket_path = optarg; break;
        case 't': check_only = true; break;
        case 'm':
            if (!parse_count(optarg, 100000, &daemon.options.max_logins))
                return usage();
            break;
        case 'u':
            if (!parse_count(optarg, 100000, &daemon.options.max_per_uid))
                return usage();
            break;
        case 'a':
            if (!parse_count(optarg, 100000, &daemon.options.max_per_account))
                return usage();
            break;
        case 'k':
            if (keep_count == KEEP_ENV_MAX)
                return usage();
            keep[keep_count++] = optarg;
            break;
        default: return usage();
        }
    }
    if (optind != argc || daemon.options.config_path[0] != '/')
        return usage();
    if (getauxval(AT_SECURE) != 0 || getuid() != 0 || geteuid() != 0) {
        fputs("phonemfad: must be started by root (never setuid)\n", stderr);
        return 1;
    }
    if (clean_process(keep, keep_count) != 0 || set_limits() != 0) {
        fputs("phonemfad: cannot set up a clean process\n", stderr);
        return 1;
    }
    if (check_only) {
        struct loaded_config *loaded = load_config(&daemon, daemon.options.config_path);
        int rc = loaded != NULL && loaded->config != NULL ? 0 : 1;
        if (loaded != NULL && loaded->config == NULL)
            fprintf(stderr, "phonemfad: %s\n", loaded->error);
        if (loaded != NULL)
            daemon_config_release(&daemon, loaded);
        return rc;
    }
    openlog("phonemfad", LOG_PID, LOG_AUTHPRIV);
    daemon.log = (struct log_sink){.context = &daemon, .emit = emit_daemon_line};
    const char *notify_socket = getenv("NOTIFY_SOCKET");
    char notify[108] = "";
    if (notify_socket != NULL)
        (void)snprintf(notify, sizeof notify, "%s", notify_socket);
    /* Children (phonemfa-setup's workers) must not take these for theirs. */
    (void)unsetenv("NOTIFY_SOCKET");
    sigset_t blocked;
    (void)sigemptyset(&blocked);
    (void)sigaddset(&blocked, SIGHUP);
    (void)sigaddset(&blocked, SIGTERM);
    (void)sigaddset(&blocked, SIGINT);
    (void)signal(SIGPIPE, SIG_IGN);
    /* Blocked before any thread exists, so every thread inherits it and
     * only the signalfd sees them. */
    if (pthread_sigmask(SIG_BLOCK, &blocked, NULL) != 0 || pthread_mutex_init(&daemon.lock, NULL) != 0 ||
        pthread_cond_init(&daemon.all_done, NULL) != 0) {
        fputs("phonemfad: cannot set up\n", stderr);
        return 1;
    }
    char error[DAEMON_ERROR_MAX] = "";
    bool from_systemd = true;
    int listen_fd = daemon_socket_from_systemd(error, sizeof error);
    (void)unsetenv("LISTEN_PID");
    (void)unsetenv("LISTEN_FDS");
    if (listen_fd == -2) {
        from_systemd = false;
        listen_fd = daemon_socket_bind(daemon.options.socket_path, error, sizeof error);
    }
    daemon.pool = http_pool_new(DAEMON_POOL_IDLE_MAX);
    daemon.config = load_config(&daemon, daemon.options.config_path);
    /* One user lookup before any thread exists: NSS modules are loaded and
     * set up lazily by the first lookup, and not every module does that
     * safely when many threads make their first lookup at once. */
    struct passwd root_entry, *root_found = NULL;
    char root_buffer[4096];
    if (getpwuid_r(0, &root_entry, root_buffer, sizeof root_buffer, &root_found) != 0 || root_found == NULL)
        daemon_log(&daemon, LOG_WARNING, "NSS did not answer for uid 0 at start: user lookups may fail");
    int rc = 1;
    if (listen_fd < 0) {
        daemon_log(&daemon, LOG_ERR, "cannot start: %s", error);
    } else if (daemon.config == NULL || daemon.pool == NULL) {
        daemon_log(&daemon, LOG_ERR, "cannot start: out of memory");
    } else {
        if (daemon.config->config == NULL)
            daemon_log(&daemon, LOG_ERR, "configuration not valid, every login is refused until it is fixed "
                       "and phonemfad reloaded: %s", daemon.config->error);
        rc = serve(&daemon, listen_fd, from_systemd ? "the socket systemd passed" : daemon.options.socket_path,
                   notify[0] ? notify : NULL);
        stop(&daemon);
        daemon_log(&daemon, LOG_INFO, "stopped: %lu clients served, %lu HTTPS connections opened",
                   daemon.served, http_pool_connections_opened(daemon.pool));
    }
    if (listen_fd >= 0) {
        (void)close(listen_fd);
        if (!from_systemd)
            (void)unlink(daemon.options.socket_path);
    }
    /* Threads still running (past the wait) hold references: leave the
     * memory to the exit rather than free it under them. */
    (void)pthread_mutex_lock(&daemon.lock);
    unsigned still_running = daemon.active;
    (void)pthread_mutex_unlock(&daemon.lock);
    if (still_running == 0) {
        if (daemon.config != NULL)
            daemon_config_release(&daemon, daemon.config);
        http_pool_free(daemon.pool);
    }
    closelog();
    return rc;
}
