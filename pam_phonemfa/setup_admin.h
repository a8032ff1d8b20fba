/* phonemfa-setup's administrator commands (run as root with --user NAME). */
#ifndef PHONEMFA_SETUP_ADMIN_H
#define PHONEMFA_SETUP_ADMIN_H

#include <stdbool.h>

#include <stddef.h>

#include "config.h"
#include "i18n.h"
#include "log.h"
#include "phone_record.h"

enum setup_exit {
    SETUP_OK = 0,
    SETUP_REFUSED = 1,      /* nothing to do, or the request makes no sense for this user */
    SETUP_USAGE = 2,
    SETUP_BROKEN = 3,       /* configuration, store, state or service problem */
    SETUP_NOT_VERIFIED = 4, /* the phone's possession was not proven: nothing saved */
    SETUP_NOT_PERMITTED = 5,
};

struct phone_directory;

struct setup_context {
    const struct phonemfa_config *config;
    struct phone_directory *directory; /* where the phones are: read and changed only through it */
    const struct log_sink *log;
    const char *actor; /* who runs the command */
    const char *user;  /* whose phones: canonical, as a login names them */
    bool user_unknown; /* NSS knows no such user (an orphan record, or a typo) */
    bool interactive;  /* the client runs on a terminal (as it says) */
    unsigned long caller_uid; /* the client's uid (SO_PEERCRED) */
    const char *tty;   /* its terminal's name (as it says), or NULL */
    /* What the person at the terminal reads: their own language (their
     * record's, else login.locale); NULL: English. Loaded once per run. */
    const struct i18n_catalogue *catalogue;
    /* The language of context->user (their record's, else login.locale),
     * asked of the verification service for their phone; NULL: none. */
    const char *user_language;
};

struct add_request {
    const char *slot;
    const char *number;
    const char *channels;      /* "text,call" / "call"; NULL: the slot's default */
    const char *verify_channel; /* "text" / "call"; NULL with no_verify */
    bool no_verify;
};

/* A phone to save in a slot (shared by the administrator's add and self-service). */
struct phone_change {
    struct phone_number number;
    enum phone_slot slot;
    unsigned channels;
    enum verified_method verified_by;
};

struct preferred_change {
    enum phone_slot slot;
    enum phone_channel channel;
};

/* A phone to remove as it was confirmed: removed only if it is still that
 * number (another run may have replaced it meanwhile). */
struct setup_confirmed_remove {
    enum phone_slot slot;
    struct phone_number number;
};

struct user_state;

/* Building blocks shared with self-service (setup_self.c). */
int setup_edit_record(const struct setup_context *context,
                      int (*change)(const struct setup_context *, struct phone_record *, bool *exists, void *),
                      void *argument);
int setup_apply_phone(const struct setup_context *context, struct phone_record *record, bool *exists,
                      void *phone_change);
int setup_apply_remove(const struct setup_context *context, struct phone_record *record, bool *exists,
                       void *slot);
int setup_apply_confirmed_remove(const struct setup_context *context, struct phone_record *record, bool *exists,
                                 void *confirmed_remove);
/* "Remove the SLOT phone +X XXXXXXXX23 of USER? [y/N]": SETUP_OK on y or
 * yes; SETUP_REFUSED (said) on anything else or without a terminal. */
int setup_confirm_remove(const struct setup_context *context, enum phone_slot slot, const struct phone_number *number);
int setup_apply_preferred(const struct setup_context *context, struct phone_record *record, bool *exists,
                          void *preferred_change);
int setup_update_state(const struct setup_context *context, int (*change)(struct user_state *, void *));
int setup_clear_remembered(struct user_state *state, void *context);
void setup_log_change(const struct setup_context *context, const char *change, const char *slot,
                      const struct phone_number *number, const char *detail);

int setup_list(const struct setup_context *context, bool json);
int setup_add(const struct setup_context *context, const struct add_request *request);
/* yes: without asking (else asked on a terminal, refused without one). */
int setup_remove(const struct setup_context *context, const char *slot, bool yes);
int setup_preferred(const struct setup_context *context, const char *slot, const char *channel);
int setup_reset(const struct setup_context *context);
int setup_lockout(const struct setup_context *context, bool clear);
int setup_forget(const struct setup_context *context);
/* The configuration, the store or directory, the state and the service, in
 * the language of actor (who runs it). */
int setup_check(const char *config_path, const char *actor, const struct log_sink *log);

#endif
