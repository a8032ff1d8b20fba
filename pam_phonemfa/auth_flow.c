#include "auth_flow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "input_digits.h"
#include "menu.h"
#include "nss_lookup.h"
#include "phone_directory.h"
#include "policy.h"
#include "user_state.h"
#include "secure_mem.h"
#include "user_name.h"
#include "verify_client.h"

#define PROMPT_MAX 2048
#define NOTICE_MAX 512 /* a translated notice (check-po: at most 240 bytes) and a masked number */

/* Everything one login needs, passed between the steps of the flow. */
struct flow {
    const struct phonemfa_config *config;
    struct phone_directory *directory;
    const struct login_request *request;
    const struct prompter *prompter;
    const struct log_sink *log;
    struct verify_client *client;
    struct phone_record record;
    struct menu menu;
    const struct menu_item *chosen; /* &chosen_item once a choice is made */
    struct menu_item chosen_item;   /* a copy: the menu may be rebuilt */
    char masked[PHONE_MASK_MAX]; /* of the chosen phone, for prompts and the log */
    char notice[NOTICE_MAX];     /* shown above the menu next time */
    unsigned verifications_started;
    const char *reason;
    struct record_dir state;  /* per-user state, open when a control needs it */
    bool state_open;
    struct attempt send;      /* what the state said to the last text or call */
    bool code_paid;           /* the next code typed is paid by that send's failure */
    bool may_have_sent;       /* a start request may have reached the service */
    bool abandoned;           /* the client went away: no one is left to tell */
    /* What the user reads and hears: the administrator's default until the
     * record is read, then the user's own language if they chose one. */
    const char *language;     /* a tag, or NULL: English, and the service decides */
    struct i18n_catalogue *catalogue; /* NULL: English */
};

/* What a step decided: go on with the menu, or end the login. */
enum step { STEP_BACK_TO_MENU, STEP_END };

static void set_notice(struct flow *flow, const char *text)
{
    (void)snprintf(flow->notice, sizeof flow->notice, "%s", text);
}

static void tell(const struct flow *flow, const char *text)
{
    if (flow->prompter->tell != NULL)
        flow->prompter->tell(flow->prompter->context, text);
}

static long monotonic_ms(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return 0;
    return (long)now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

static void sleep_ms(long milliseconds)
{
    struct timespec delay = {.tv_sec = milliseconds / 1000, .tv_nsec = (milliseconds % 1000) * 1000000L};

    while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
        ;
}

/* failmode "safe" lets a user in without the second factor, so it must
 * only ever answer an outage nobody at this login could have caused: it is
 * decided in phonemfad, about the service phonemfad itself failed to reach,
 * and never once a request may have reached it. */
static bool failmode_safe_applies(struct flow *flow, bool request_sent)
{
    const char *why = NULL;
    char error[NSS_ERROR_MAX];
    bool member = true;

    if (flow->may_have_sent || request_sent)
        why = "a verification request may already have reached the service in this login";
    else if (flow->config->failmode_safe_groups.count > 0 &&
             nss_user_in_groups(flow->request->user, &flow->config->failmode_safe_groups, false, &member,
                                error, sizeof error) != 0)
        why = error;
    if (why != NULL) {
        log_message(flow->log, LOG_WARNING, "FAILMODE SAFE not applied: %s", why);
        return false;
    }
    if (!member)
        log_message(flow->log, LOG_WARNING,
                    "FAILMODE SAFE not applied: user %s is not in login.failmode_safe_groups",
                    flow->request->user);
    return member;
}

/* An outage of the service or the directory: failmode safe lets the user
 * pass on when it applies (what: "verification service", "phone
 * directory"); otherwise the login is denied as unavailable. */
static enum login_outcome outage(struct flow *flow, const char *what, bool request_sent, const char *safe_reason)
{
    if (flow->config->failmode == FAILMODE_SAFE && failmode_safe_applies(flow, request_sent)) {
        log_message(flow->log, LOG_WARNING,
                    "FAILMODE SAFE: %s unavailable, user %s passes without a second factor "
                    "(login.failmode = \"safe\")",
                    what, flow->request->user);
        flow->reason = safe_reason;
        return LOGIN_IGNORED;
    }
    tell(flow, T_(flow->catalogue, "Phone verification is not available right now. Try again later."));
    return LOGIN_SERVICE_UNAVAILABLE;
}

/* A failure of the service: the failmode decides for outages and nonsense,
 * everything else denies with a sentence the user can act on. */
static enum login_outcome service_failure(struct flow *flow, const struct verify_failure *failure)
{
    log_message(flow->log, verify_failure_uses_failmode(failure->kind) ? LOG_ERR : LOG_WARNING,
                "verification service error (%s): %s", verify_failure_name(failure->kind),
                failure->detail);
    flow->reason = verify_failure_name(failure->kind);
    if (verify_failure_uses_failmode(failure->kind))
        return outage(flow, "verification service", failure->request_sent, "service_unavailable_failmode_safe");
    switch (failure->kind) {
    case VERIFY_RATE_LIMITED:
        tell(flow, T_(flow->catalogue, "Too many verification attempts for this phone. Wait a few minutes and try again."));
        break;
    case VERIFY_SERVICE_BUSY:
        /* A limit of the whole service account: nothing this user did. */
        tell(flow, T_(flow->catalogue, "The verification service is busy. Try again in a few minutes."));
        break;
    case VERIFY_INVALID_NUMBER:
    case VERIFY_BLOCKED:
        tell(flow, T_(flow->catalogue, "This phone number cannot be used for verification. Contact your administrator."));
        break;
    default:
        tell(flow, T_(flow->catalogue, "Phone verification failed. Contact your administrator."));
        break;
    }
    return LOGIN_DENIED;
}

/* The client's program ended, was stopped or stopped answering: the login
 * ends as abandoned (and whatever was started is cancelled by the caller). */
static bool client_gone(struct flow *flow)
{
    if (!flow->abandoned && flow->prompter->gone != NULL && flow->prompter->gone(flow->prompter->context)) {
        flow->abandoned = true;
        flow->reason = "client_gone";
    }
    return flow->abandoned;
}

static int ask(struct flow *flow, enum prompt_style style, const char *text, char **answer)
{
    *answer = NULL;
    if (flow->prompter->ask(flow->prompter->context, style, text, answer) != 0 || *answer == NULL) {
        secure_free_string(*answer);
        *answer = NULL;
        flow->reason = "conversation_error";
        (void)client_gone(flow);
        return -1;
    }
    return 0;
}

static void tell_locked_out(struct flow *flow, time_t until)
{
    char message[NOTICE_MAX];
    time_t now = time(NULL);
    long minutes = until > now ? (long)((until - now + 59) / 60) : 1;

    (void)snprintf(message, sizeof message,
                   TP_(flow->catalogue, "Too many failed verifications. Try again in %ld minute.",
                      "Too many failed verifications. Try again in %ld minutes.", minutes),
                   minutes);
    tell(flow, message);
    flow->reason = "locked_out";
}

static void log_lockout_started(struct flow *flow, const struct attempt *attempt)
{
    if (attempt->locked_now)
        log_message(flow->log, LOG_WARNING, "lockout: user %s locked out for %ld seconds after %u failed "
                    "verifications", flow->request->user, flow->config->lockout_duration_s,
                    flow->config->lockout_failures);
}

/* The state could not be read or written while a control needs it: a
 * limit that cannot be counted is not enforced, so the login is denied. */
static enum login_outcome state_failed(struct flow *flow, const struct record_dir_error *error)
{
    log_message(flow->log, LOG_ERR, "state error: %s", error->message);
    tell(flow, i18n_unavailable_here(flow->catalogue));
    flow->reason = "state_error";
    return LOGIN_INTERNAL_ERROR;
}

/* Every code is counted as a failure before it is checked (an approval
 * clears the count), so no number of parallel or abandoned logins gets more
 * guesses than lockout.failures. 0 to check the code, else -1 with
 * *outcome set. */
static int reserve_code(struct flow *flow, enum login_outcome *outcome)
{
    struct record_dir_error error;
    struct attempt attempt;

    if (!flow->state_open)
        return 0;
    int rc = policy_reserve_code(flow->config, &flow->state, flow->request->user, time(NULL),
                                 flow->code_paid ? &flow->send : NULL, &attempt, &error);
    flow->code_paid = false;
    if (rc != 0) {
        *outcome = state_failed(flow, &error);
        return -1;
    }
    log_lockout_started(flow, &attempt);
    if (attempt.verdict == ATTEMPT_LOCKED_OUT) {
        tell_locked_out(flow, attempt.locked_until);
        *outcome = LOGIN_DENIED;
        return -1;
    }
    return 0;
}

static enum step check_codes(struct flow *flow, const struct verification *verification,
                             enum login_outcome *outcome)
{
    char prompt[PROMPT_MAX];
    unsigned wrong = 0;

    for (;;) {
        unsigned left = flow->config->code_attempts - wrong;
        if (wrong > 0)
            (void)snprintf(prompt, sizeof prompt,
                           TP_(flow->catalogue, "Wrong code, %u attempt left. Enter the code (or press Enter to go back): ",
                              "Wrong code, %u attempts left. Enter the code (or press Enter to go back): ",
                              left),
                           left);
        else if (flow->chosen->channel == CHANNEL_TEXT)
            (void)snprintf(prompt, sizeof prompt,
                           T_(flow->catalogue, "Code sent to %s. Enter the code (or press Enter to go back): "),
                           flow->masked);
        else
            (void)snprintf(prompt, sizeof prompt,
                           T_(flow->catalogue, "Calling %s. Enter the code you hear (or press Enter to go back): "),
                           flow->masked);

        char *code = NULL;
        if (ask(flow, PROMPT_ECHO_OFF, prompt, &code) != 0) {
            verify_cancel(flow->client, verification);
            *outcome = LOGIN_CONVERSATION_ERROR;
            return STEP_END;
        }
        if (code[0] == '\0') {
            secure_free_string(code);
            verify_cancel(flow->client, verification);
            return STEP_BACK_TO_MENU;
        }
        if (reserve_code(flow, outcome) != 0) {
            secure_free_string(code);
            verify_cancel(flow->client, verification);
            return STEP_END;
        }
        enum verify_check_result result = CHECK_WRONG_CODE;
        struct verify_failure failure = {0};
        /* Grouped as it was read out or shown, or typed in full-width
         * digits: still the code. */
        (void)input_digits_fold(code);
        verify_code_normalise(code);
        /* A malformed answer is a wrong code without asking the service. */
        int rc = verify_code_is_well_formed(code)
                     ? verify_check(flow->client, verification, code, &result, &failure)
                     : 0;
        secure_free_string(code);
        if (rc != 0) {
            *outcome = service_failure(flow, &failure);
            return STEP_END;
        }
        switch (result) {
        case CHECK_APPROVED:
            flow->reason = "approved";
            *outcome = LOGIN_APPROVED;
            return STEP_END;
        case CHECK_WRONG_CODE:
            if (++wrong < flow->config->code_attempts)
                continue;
            verify_cancel(flow->client, verification);
            tell(flow, T_(flow->catalogue, "Too many wrong codes."));
            flow->reason = "wrong_code";
            *outcome = LOGIN_DENIED;
            return STEP_END;
        case CHECK_EXPIRED:
            set_notice(flow, T_(flow->catalogue, "The code has expired. Choose a phone to get a new one."));
            return STEP_BACK_TO_MENU;
        case CHECK_TOO_MANY_ATTEMPTS:
            tell(flow, T_(flow->catalogue, "Too many wrong codes."));
            flow->reason = "too_many_attempts";
            *outcome = LOGIN_DENIED;
            return STEP_END;
        }
    }
}

static enum step await_call(struct flow *flow, const struct verification *verification,
                            enum login_outcome *outcome)
{
    char prompt[PROMPT_MAX];
    char *answer = NULL;
    long deadline = monotonic_ms() + flow->config->call_answer_timeout_ms;

    /* sshd shows text only together with a prompt, so the instruction is the
     * prompt, and the wait starts once the user says they answered. */
    (void)snprintf(prompt, sizeof prompt,
                   T_(flow->catalogue, "Calling %s. Answer it and press # to approve, then press Enter here: "),
                   flow->masked);
    if (ask(flow, PROMPT_ECHO_ON, prompt, &answer) != 0) {
        verify_cancel(flow->client, verification);
        *outcome = LOGIN_CONVERSATION_ERROR;
        return STEP_END;
    }
    secure_free_string(answer);
    for (;;) {
        enum verify_call_status status = CALL_PENDING;
        struct verify_failure failure = {0};
        if (verify_call_status(flow->client, verification, &status, &failure) != 0) {
            *outcome = service_failure(flow, &failure);
            return STEP_END;
        }
        switch (status) {
        case CALL_APPROVED:
            flow->reason = "approved";
            *outcome = LOGIN_APPROVED;
            return STEP_END;
        case CALL_DENIED:
            tell(flow, T_(flow->catalogue, "The call was declined."));
            flow->reason = "call_declined";
            *outcome = LOGIN_DENIED;
            return STEP_END;
        case CALL_EXPIRED:
            (void)snprintf(flow->notice, sizeof flow->notice, T_(flow->catalogue, "The call to %s was not answered."),
                           flow->masked);
            return STEP_BACK_TO_MENU;
        case CALL_PENDING:
            break;
        }
        if (client_gone(flow)) {
            verify_cancel(flow->client, verification);
            *outcome = LOGIN_ABANDONED;
            return STEP_END;
        }
        long remaining = deadline - monotonic_ms();
        if (remaining <= 0) {
            verify_cancel(flow->client, verification);
            (void)snprintf(flow->notice, sizeof flow->notice, T_(flow->catalogue, "The call to %s was not answered."),
                           flow->masked);
            return STEP_BACK_TO_MENU;
        }
        sleep_ms(remaining < flow->config->poll_interval_ms ? remaining : flow->config->poll_interval_ms);
    }
}

/* The service will not use this channel for the chosen phone (a landline
 * and texts, or Fraud Guard holding texts to its prefix): for the rest of
 * this login that choice is not offered again, and the phone's call, when
 * it has one, becomes what Enter picks. Nothing is remembered after the
 * login: a number can change hands, and Fraud Guard lifts its block. */
static enum step channel_refused(struct flow *flow, enum verify_failure_kind kind, enum login_outcome *outcome)
{
    struct phone_record *record = &flow->record;
    struct phone_entry *phone = &record->phones[flow->chosen->slot];
    bool was_text = flow->chosen->channel == CHANNEL_TEXT;

    phone->channels &= ~(unsigned)flow->chosen->channel;
    if (was_text && (phone->channels & CHANNEL_CALL)) {
        record->has_preferred = true;
        record->preferred_slot = flow->chosen->slot;
        record->preferred_channel = CHANNEL_CALL;
        set_notice(flow, kind == VERIFY_CHANNEL_BLOCKED
                             ? T_(flow->catalogue, "The service is not sending texts to that phone for now. Call it instead "
                                 "(now the default).")
                             : T_(flow->catalogue, "That phone cannot receive texts. Call it instead (now the default)."));
    } else {
        if (record->has_preferred && record->preferred_slot == flow->chosen->slot &&
            !(phone->channels & record->preferred_channel))
            record->has_preferred = false;
        set_notice(flow, was_text ? T_(flow->catalogue, "That phone cannot receive texts. Choose another phone.")
                                  : T_(flow->catalogue, "That phone cannot take this call. Choose another method."));
    }
    phone->present = phone->channels != 0;
    menu_build(record, &flow->menu);
    if (flow->menu.count > 0)
        return STEP_BACK_TO_MENU;
    /* Nothing left to offer: say why, and end here. */
    tell(flow, flow->notice);
    flow->notice[0] = '\0';
    flow->reason = verify_failure_name(kind);
    *outcome = LOGIN_DENIED;
    return STEP_END;
}

static enum step run_verification(struct flow *flow, enum login_outcome *outcome)
{
    const struct phone_entry *phone = &flow->record.phones[flow->chosen->slot];
    struct verify_start_request request = {
        .user = flow->request->user,
        .number = &phone->number,
        .channel = flow->chosen->channel == CHANNEL_TEXT ? VERIFY_CHANNEL_TEXT : VERIFY_CHANNEL_CALL,
        .locale = flow->language,
    };
    struct verification verification = {0};
    struct verify_failure failure = {0};

    struct record_dir_error state_error;
    time_t reserved_at = time(NULL);

    /* Counted before anything is sent: a login killed after the send
     * still counts. */
    if (flow->state_open) {
        if (policy_reserve_send(flow->config, &flow->state, flow->request->user, reserved_at, true, &flow->send,
                                &state_error) != 0) {
            *outcome = state_failed(flow, &state_error);
            return STEP_END;
        }
        log_lockout_started(flow, &flow->send);
        if (flow->send.verdict == ATTEMPT_LOCKED_OUT) {
            tell_locked_out(flow, flow->send.locked_until);
            *outcome = LOGIN_DENIED;
            return STEP_END;
        }
        if (flow->send.verdict == ATTEMPT_SEND_LIMIT) {
            tell(flow, T_(flow->catalogue, "Too many texts and calls for your account recently. Try again later."));
            flow->reason = "send_limit";
            *outcome = LOGIN_DENIED;
            return STEP_END;
        }
        flow->code_paid = flow->config->lockout_failures > 0;
    }
    flow->verifications_started++;
    if (verify_start(flow->client, &request, &verification, &failure) != 0) {
        if (failure.request_sent) {
            flow->may_have_sent = true;
        } else if (flow->state_open &&
                   policy_refund_send(flow->config, &flow->state, flow->request->user, reserved_at,
                                      &state_error) != 0) {
            /* Stays counted: only ever too strict. */
            log_message(flow->log, LOG_ERR, "state error: %s", state_error.message);
        }
        flow->code_paid = false;
        if (failure.kind == VERIFY_CHANNEL_UNAVAILABLE || failure.kind == VERIFY_CHANNEL_BLOCKED) {
            log_message(flow->log, LOG_NOTICE, "verification service error (%s): %s",
                        verify_failure_name(failure.kind), failure.detail);
            return channel_refused(flow, failure.kind, outcome);
        }
        *outcome = service_failure(flow, &failure);
        return STEP_END;
    }
    flow->may_have_sent = true;
    if (verification.mode == VERIFY_MODE_CALL_APPROVAL) {
        if (flow->chosen->channel != CHANNEL_CALL) {
            verify_cancel(flow->client, &verification);
            failure.kind = VERIFY_BAD_RESPONSE;
            (void)snprintf(failure.detail, sizeof failure.detail,
                           "service answered a text with mode call_approval");
            *outcome = service_failure(flow, &failure);
            return STEP_END;
        }
        return await_call(flow, &verification, outcome);
    }
    return check_codes(flow, &verification, outcome);
}

static enum login_outcome choose_and_verify(struct flow *flow)
{
    const char *header = flow->config->menu_header ? flow->config->menu_header : T_(flow->catalogue, "Verify your identity:");
    char prompt[PROMPT_MAX];
    unsigned invalid = 0;

    for (;;) {
        if (flow->verifications_started >= flow->config->verifications_per_login) {
            if (flow->notice[0] != '\0')
                tell(flow, flow->notice);
            tell(flow, T_(flow->catalogue, "No more verification attempts for this login."));
            flow->reason = "verifications_exhausted";
            return LOGIN_DENIED;
        }
        if (menu_render(flow->catalogue, &flow->menu, &flow->record, flow->notice[0] ? flow->notice : NULL, header,
                        flow->config->menu_footer, prompt, sizeof prompt) != 0) {
            flow->reason = "menu_too_long";
            return LOGIN_INTERNAL_ERROR;
        }
        flow->notice[0] = '\0';
        char *answer = NULL;
        if (ask(flow, PROMPT_ECHO_ON, prompt, &answer) != 0)
            return LOGIN_CONVERSATION_ERROR;
        size_t index = 0;
        bool valid = menu_parse_choice(&flow->menu, answer, &index);
        secure_free_string(answer);
        if (!valid) {
            if (++invalid >= flow->config->menu_attempts) {
                tell(flow, T_(flow->catalogue, "No valid choice was made."));
                flow->reason = "invalid_choice";
                return LOGIN_DENIED;
            }
            (void)snprintf(flow->notice, sizeof flow->notice,
                           T_(flow->catalogue, "Please enter a number from 1 to %zu."), flow->menu.count);
            continue;
        }
        flow->chosen_item = flow->menu.items[index];
        flow->chosen = &flow->chosen_item;
        phone_mask(&flow->record.phones[flow->chosen->slot].number, flow->masked, sizeof flow->masked);
        enum login_outcome outcome = LOGIN_DENIED;
        if (run_verification(flow, &outcome) == STEP_END)
            return outcome;
    }
}

static int open_state(struct flow *flow)
{
    struct record_dir_error error;

    if (!policy_uses_state(flow->config))
        return 0;
    if (record_dir_open_or_create(flow->config->state_directory, "state directory", &flow->state, &error) != 0) {
        log_message(flow->log, LOG_ERR, "state error: %s", error.message);
        tell(flow, i18n_unavailable_here(flow->catalogue));
        flow->reason = "state_error";
        return -1;
    }
    flow->state_open = true;
    return 0;
}

/* -1 with *outcome set when the user is locked out (or the state cannot
 * be read), 0 otherwise. */
static int refuse_if_locked_out(struct flow *flow, enum login_outcome *outcome)
{
    struct record_dir_error error;
    time_t until = 0;

    if (flow->config->lockout_failures == 0)
        return 0;
    if (!flow->state_open && open_state(flow) != 0) {
        *outcome = LOGIN_INTERNAL_ERROR;
        return -1;
    }
    struct user_state *state = malloc(sizeof *state);
    int result = -1;
    if (state == NULL || user_state_read(&flow->state, flow->request->user, state, &error) != 0) {
        if (state == NULL)
            (void)snprintf(error.message, sizeof error.message, "out of memory");
        *outcome = state_failed(flow, &error);
    } else if (policy_locked_out(state, time(NULL), &until)) {
        tell_locked_out(flow, until);
        *outcome = LOGIN_DENIED;
    } else {
        result = 0;
    }
    free(state);
    return result;
}

/* The phone directory did not answer: an outage like the service's, so
 * the failmode decides (nothing was sent to anyone yet). */
static enum login_outcome directory_unavailable(struct flow *flow, const struct directory_error *error)
{
    enum login_outcome outcome = LOGIN_INTERNAL_ERROR;

    log_message(flow->log, LOG_ERR, "phone directory unavailable: %s", error->message);
    flow->reason = "directory_unavailable";
    /* Before failmode safe may let anyone through, the lockout (checked
     * at every other login before anything is sent) is checked here too:
     * the phones are not known, so remembered logins are not. */
    if (flow->config->failmode == FAILMODE_SAFE && refuse_if_locked_out(flow, &outcome) != 0)
        return outcome;
    flow->reason = "directory_unavailable";
    return outage(flow, "phone directory", false, "directory_unavailable_failmode_safe");
}

/* 0 when the user has a record; otherwise -1 with *outcome set. */
static int load_record(struct flow *flow, enum login_outcome *outcome)
{
    struct directory_error error = {{0}};
    bool local = flow->config->directory == DIRECTORY_FILES;

    *outcome = LOGIN_INTERNAL_ERROR;
    switch (phone_directory_read(flow->directory, flow->request->user, &flow->record, &error)) {
    case DIRECTORY_FOUND:
        return 0;
    case DIRECTORY_NOT_ENROLLED:
        flow->reason = "not_enrolled";
        if (flow->config->unenrolled == UNENROLLED_IGNORE) {
            *outcome = LOGIN_IGNORED;
            return -1;
        }
        tell(flow, T_(flow->catalogue, "No phone is registered for your account. Contact your administrator."));
        *outcome = LOGIN_DENIED;
        return -1;
    case DIRECTORY_UNAVAILABLE:
        *outcome = directory_unavailable(flow, &error);
        return -1;
    case DIRECTORY_FAILED:
        break;
    }
    flow->reason = local ? "store_error" : "directory_error";
    log_message(flow->log, LOG_ERR, "%s error: %s", local ? "store" : "phone directory", error.message);
    tell(flow, i18n_unavailable_here(flow->catalogue));
    return -1;
}

/* Read the catalogue of a language (NULL: English). A catalogue that
 * cannot be read is a fault of the installation: the login is denied, in
 * English, since nothing else can be trusted to say so. 0 or -1. */
static int speak(struct flow *flow, const char *language)
{
    struct i18n_error error;
    struct i18n_catalogue *catalogue = NULL;

    if (language == flow->language ||
        (language != NULL && flow->language != NULL && strcmp(language, flow->language) == 0))
        return 0;
    if (i18n_catalogue_load(flow->config->translations_directory, language, &catalogue, &error) != 0) {
        log_message(flow->log, LOG_ERR, "translations for language %s cannot be used: %s", language,
                    error.message);
        flow->reason = "translations_error";
        i18n_catalogue_free(flow->catalogue);
        flow->catalogue = NULL;
        tell(flow, i18n_unavailable_here(NULL));
        return -1;
    }
    i18n_catalogue_free(flow->catalogue);
    flow->catalogue = catalogue;
    flow->language = language;
    return 0;
}

/* Phones or channels the administrator does not allow are not offered. */
static bool filter_allowed_phones(struct flow *flow)
{
    bool any = false;

    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        struct phone_entry *entry = &flow->record.phones[slot];
        if (!entry->present)
            continue;
        entry->channels &= flow->config->allowed_channels;
        if (entry->channels == 0 || !policy_phone_allowed(flow->config, &entry->number))
            entry->present = false;
        any = any || entry->present;
    }
    struct phone_record *record = &flow->record;
    if (record->has_preferred && (!record->phones[record->preferred_slot].present ||
                                  !(record->phones[record->preferred_slot].channels & record->preferred_channel)))
        record->has_preferred = false;
    return any;
}

/* Before anything is sent: a locked-out user is refused, a remembered
 * login passes. The state is read once for both. 0 to go on, -1 with
 * *outcome set. */
static int check_state(struct flow *flow, enum login_outcome *outcome, char *remember_key, size_t key_size)
{
    struct record_dir_error error;
    time_t now = time(NULL);
    int result = -1;

    remember_key[0] = '\0';
    bool lockout = flow->config->lockout_failures > 0;
    bool remember = flow->config->remember_mode != REMEMBER_OFF && !flow->request->never_remember &&
                    policy_remember_key(flow->config, flow->request->remote_host, flow->request->service,
                                        flow->request->tty, flow->request->target, remember_key, key_size);
    if (!lockout && !remember)
        return 0;
    struct user_state *state = malloc(sizeof *state);
    if (state == NULL || user_state_read(&flow->state, flow->request->user, state, &error) != 0) {
        if (state == NULL)
            (void)snprintf(error.message, sizeof error.message, "out of memory");
        *outcome = state_failed(flow, &error);
        goto out;
    }
    time_t until = 0;
    if (lockout && policy_locked_out(state, now, &until)) {
        tell_locked_out(flow, until);
        *outcome = LOGIN_DENIED;
        goto out;
    }
    if (remember && policy_remembers(flow->config, state, &flow->record, remember_key, now)) {
        flow->reason = "remembered";
        *outcome = LOGIN_APPROVED;
        goto out;
    }
    result = 0;
out:
    free(state);
    return result;
}

static bool wants_to_be_remembered(struct flow *flow)
{
    char prompt[PROMPT_MAX];
    char *answer = NULL;
    unsigned days = (unsigned)(flow->config->remember_duration_s / 86400);

    if (flow->config->remember_mode == REMEMBER_ALWAYS)
        return true;
    (void)snprintf(prompt, sizeof prompt,
                   TP_(flow->catalogue, "Skip this check for logins like this one for %u day? [y/N]: ",
                      "Skip this check for logins like this one for %u days? [y/N]: ", days),
                   days);
    /* An optional question: no answer means no. */
    if (flow->prompter->ask(flow->prompter->context, PROMPT_ECHO_ON, prompt, &answer) != 0 || answer == NULL) {
        secure_free_string(answer);
        return false;
    }
    bool yes = i18n_answer_is_yes(flow->catalogue, answer);
    secure_free_string(answer);
    return yes;
}

/* After an approved verification: the failures are cleared, and the login
 * remembered if asked to. (Failures were counted as they happened.) */
static void update_state(struct flow *flow, enum login_outcome outcome, const char *remember_key)
{
    struct record_dir_error error;
    char phone[STATE_KEY_MAX + 1];

    if (!flow->state_open || outcome != LOGIN_APPROVED || strcmp(flow->reason, "approved") != 0)
        return;
    if (flow->config->lockout_failures > 0 &&
        policy_record_success(&flow->state, flow->request->user, &error) != 0)
        log_message(flow->log, LOG_ERR, "state error: %s", error.message);
    if (remember_key[0] == '\0' ||
        !policy_verified_phone(&flow->record, flow->chosen->slot, flow->chosen->channel, phone, sizeof phone) ||
        !wants_to_be_remembered(flow))
        return;
    if (policy_remember(&flow->state, flow->request->user, remember_key, phone,
                        time(NULL) + flow->config->remember_duration_s, &error) != 0)
        log_message(flow->log, LOG_ERR, "state error: %s", error.message);
    else
        flow->reason = "approved_and_remembered";
}

/* The names as NSS spells them; 0, or -1 with *outcome set. */
static int canonicalise(struct flow *flow, struct login_request *canonical, char *user, char *target,
                        enum login_outcome *outcome)
{
    char error[NSS_ERROR_MAX];
    const char *names[2] = {flow->request->user, flow->request->target};
    char *out[2] = {user, target};

    for (int i = 0; i < 2; i++) {
        if (names[i] == NULL)
            continue;
        switch (nss_canonical_user(names[i], out[i], error, sizeof error)) {
        case NSS_FOUND:
            continue;
        case NSS_NOT_FOUND:
            flow->reason = "unknown_user";
            *outcome = LOGIN_USER_UNKNOWN;
            return -1;
        case NSS_FAILED:
            log_message(flow->log, LOG_ERR, "%s", error);
            flow->reason = "user_lookup_failed";
            *outcome = LOGIN_INTERNAL_ERROR;
            return -1;
        }
    }
    canonical->user = user;
    canonical->target = flow->request->target != NULL ? target : NULL;
    flow->request = canonical;
    return 0;
}

/* Exempt only when every account involved is: with verify_user "invoking"
 * both the person running su and the account they become. */
static int check_exemption(struct flow *flow, enum exemption *exemption)
{
    char error[NSS_ERROR_MAX];
    const char *accounts[2] = {flow->request->user, flow->request->target};

    *exemption = NOT_EXEMPT;
    for (int i = 0; i < 2; i++) {
        enum exemption this_one = NOT_EXEMPT;
        if (accounts[i] == NULL)
            continue;
        if (policy_exemption(flow->config, accounts[i], flow->request->remote_host, &this_one, error,
                             sizeof error) != 0) {
            log_message(flow->log, LOG_ERR, "group lookup failed: %s", error);
            flow->reason = "group_lookup_failed";
            return -1;
        }
        if (this_one == NOT_EXEMPT) {
            *exemption = NOT_EXEMPT;
            return 0;
        }
        if (i == 0)
            *exemption = this_one;
    }
    return 0;
}

enum login_outcome login_verify(const struct phonemfa_config *config, struct phone_directory *directory,
                                const struct login_request *request, const struct prompter *prompter,
                                struct http_pool *pool, const struct log_sink *log)
{
    struct flow flow = {
        .config = config, .directory = directory, .request = request, .prompter = prompter, .log = log,
        .reason = "internal_error",
    };
    enum login_outcome outcome = LOGIN_INTERNAL_ERROR;
    char remember_key[STATE_KEY_MAX + 1] = "";
    struct login_request canonical = *request;
    char user[USER_NAME_MAX + 1], target[USER_NAME_MAX + 1];
    enum exemption exemption = NOT_EXEMPT;

    if (!user_name_is_valid(request->user) || (request->target != NULL && !user_name_is_valid(request->target))) {
        flow.reason = "invalid_user";
        outcome = LOGIN_DENIED;
        goto out;
    }
    if (canonicalise(&flow, &canonical, user, target, &outcome) != 0)
        goto out;
    outcome = LOGIN_INTERNAL_ERROR;
    if (speak(&flow, config->locale) != 0)
        goto out;
    if (check_exemption(&flow, &exemption) != 0)
        goto out;
    if (exemption != NOT_EXEMPT) {
        flow.reason = policy_exemption_reason(exemption);
        outcome = LOGIN_IGNORED;
        goto out;
    }
    if (load_record(&flow, &outcome) != 0)
        goto out;
    outcome = LOGIN_INTERNAL_ERROR;
    if (speak(&flow, i18n_pick_language(flow.record.language, config->locale)) != 0)
        goto out;
    if (open_state(&flow) != 0 || check_state(&flow, &outcome, remember_key, sizeof remember_key) != 0)
        goto out;
    if (!filter_allowed_phones(&flow)) {
        tell(&flow, T_(flow.catalogue, "None of your phones may be used for verification here. Contact your administrator."));
        flow.reason = "no_allowed_phone";
        outcome = LOGIN_DENIED;
        goto out;
    }
    menu_build(&flow.record, &flow.menu);
    flow.client = verify_client_new(config, pool, log);
    if (flow.client == NULL) {
        flow.reason = "client_setup_failed";
        goto out;
    }
    outcome = choose_and_verify(&flow);
    update_state(&flow, outcome, remember_key);
out:
    verify_client_free(flow.client);
    i18n_catalogue_free(flow.catalogue);
    if (flow.state_open)
        record_dir_close(&flow.state);
    if (flow.abandoned)
        outcome = LOGIN_ABANDONED;
    login_log_outcome(log, flow.request, outcome, flow.reason, flow.masked,
                      flow.chosen ? phone_channel_name(flow.chosen->channel) : NULL);
    explicit_bzero(&flow.record, sizeof flow.record);
    return outcome;
}
