/* phonemfad: the root daemon that holds the configuration, the secrets, the
 * phone store, the per-user state and the connections to the verification
 * service. The PAM module and phonemfa-setup are its clients over a UNIX
 * socket (docs/phonemfad-protocol.md). */
#ifndef PHONEMFA_DAEMON_H
#define PHONEMFA_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"
#include "user_name.h"

#define PHONEMFAD_DEFAULT_SOCKET "/run/phonemfa/phonemfad.sock"
#define DAEMON_DEFAULT_MAX_LOGINS 512
#define DAEMON_DEFAULT_MAX_PER_UID 8
#define DAEMON_DEFAULT_MAX_PER_ACCOUNT 32
/* A client has this long to send its request once connected. */
#define DAEMON_REQUEST_TIMEOUT_MS 5000
/* Any one write to a client (a prompt, a message, the result). */
#define DAEMON_SEND_TIMEOUT_MS 10000
/* The result for a client that stopped answering: into its socket buffer
 * or not at all. */
#define DAEMON_LAST_WORD_MS 100
#define DAEMON_POOL_IDLE_MAX 32

struct daemon_options {
    const char *config_path;
    const char *socket_path;
    unsigned max_logins;  /* at once, all clients together */
    unsigned max_per_uid; /* at once, per non-root client uid */
    unsigned max_per_account; /* at once, per account verified (su and sudo are root clients) */
    bool log_to_stderr;   /* -f: lines to stderr instead of syslog */
};

/* A configuration as loaded, shared by the logins that started under it: a
 * reload swaps in a new one while older logins finish with theirs. */
struct loaded_config {
    struct phonemfa_config *config; /* NULL: it did not load (error says why) */
    struct phone_directory *directory; /* made from config: the phones' source, its connection and token */
    char error[CONFIG_ERROR_MAX];
    unsigned references;            /* under daemon.lock */
};

struct connection;
struct phone_directory;

struct daemon {
    struct daemon_options options;
    struct log_sink log;
    struct http_pool *pool;
    pthread_mutex_t lock;
    pthread_cond_t all_done;
    struct loaded_config *config; /* the current one */
    struct connection *connections;
    unsigned active;
    unsigned long served;
    bool stopping;
    char reload_error[CONFIG_ERROR_MAX]; /* the last reload's, or "" */
    long noise_window_ms;                /* when the current window of noise lines began */
    unsigned noise_lines;                /* noise lines logged in it */
    unsigned long noise_suppressed;      /* and held back */
};

/* Lines any local user can cause at will (turned away, refused, protocol
 * errors) are bounded: at most DAEMON_NOISE_LINES a DAEMON_NOISE_WINDOW_MS,
 * then one line says how many were held back. A flood must neither push the
 * outcome lines out of a rate-limited journal nor stall the accept loop in
 * syslog(). */
#define DAEMON_NOISE_LINES 20
#define DAEMON_NOISE_WINDOW_MS 10000

struct connection {
    struct daemon *daemon;
    int fd;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    struct connection *next;
    struct log_sink log; /* the daemon's, each line tagged with the client's pid */
    char account[USER_NAME_MAX + 1]; /* the account this login verifies, once known (under daemon.lock) */
};

void daemon_log(const struct daemon *daemon, int priority, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* The configuration for a new login (a reference the caller releases). */
struct loaded_config *daemon_config_acquire(struct daemon *daemon);
void daemon_config_release(struct daemon *daemon, struct loaded_config *config);

/* Serve one client: read its request and carry it out. Runs in the
 * connection's own thread; closes nothing (the caller does). */
void daemon_serve(struct connection *connection);

struct wire_message;
/* A phonemfa-setup client (daemon_setup.c). */
void daemon_serve_setup(struct connection *connection, const struct wire_message *request);

bool daemon_noise_allowed(struct daemon *daemon);

/* Claim a place for a login of this account: su and sudo are root clients
 * whatever user runs them, so the per-uid bound alone would let one user
 * fill every slot with logins of their own account. false when the account
 * has --max-per-account logins running already. */
bool daemon_claim_account(struct daemon *daemon, struct connection *connection, const char *account);

/* One line for phonemfa-setup check: pid, version, logins, the config. */
void daemon_describe(struct daemon *daemon, char *out, size_t out_size);

extern char **environ;

#endif
