#include "auth_flow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "menu.h"
#include "phone_store.h"
#include "secure_mem.h"
#include "user_name.h"
#include "verify_client.h"

#define PROMPT_MAX 2048
#define NOTICE_MAX 256

/* Everything one login needs, passed between the steps of the flow. */
struct flow {
    const struct phonemfa_config *config;
    const struct login_request *request;
    const struct prompter *prompter;
    const struct log_sink *log;
    struct verify_client *client;
    struct phone_record record;
    struct menu menu;
    const struct menu_item *chosen;
    char masked[PHONE_MASK_MAX]; /* of the chosen phone, for prompts and the log */
    char notice[NOTICE_MAX];     /* shown above the menu next time */
    unsigned verifications_started;
    const char *reason;
};

/* What a step decided: go on with the menu, or end the login. */
enum step { STEP_BACK_TO_MENU, STEP_END };

static const char *outcome_name(enum login_outcome outcome)
{
    switch (outcome) {
    case LOGIN_APPROVED: return "success";
    case LOGIN_DENIED: return "denied";
    case LOGIN_IGNORED: return "ignored";
    case LOGIN_CONVERSATION_ERROR: return "denied";
    case LOGIN_SERVICE_UNAVAILABLE: return "denied";
    case LOGIN_INTERNAL_ERROR: return "error";
    }
    return "error";
}

void login_log_outcome(const struct log_sink *log, const struct login_request *request,
                       enum login_outcome outcome, const char *reason, const char *masked_phone,
                       const char *channel)
{
    char user[USER_NAME_MAX + 1], service[64], host[128], tty[64];
    int priority = outcome == LOGIN_APPROVED            ? LOG_INFO
                   : outcome == LOGIN_INTERNAL_ERROR     ? LOG_ERR
                   : outcome == LOGIN_SERVICE_UNAVAILABLE ? LOG_ERR
                                                         : LOG_NOTICE;

    log_clean_value(user, sizeof user, request->user);
    log_clean_value(service, sizeof service, request->service);
    log_clean_value(host, sizeof host, request->remote_host);
    log_clean_value(tty, sizeof tty, request->tty);
    log_message(log, priority,
                "outcome=%s reason=%s user=%s service=%s rhost=%s tty=%s phone=\"%s\" channel=%s",
                outcome_name(outcome), reason, user, service, host, tty,
                masked_phone && masked_phone[0] ? masked_phone : "-", channel ? channel : "-");
}

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

/* A failure of the service: the failmode decides for outages and nonsense,
 * everything else denies with a sentence the user can act on. */
static enum login_outcome service_failure(struct flow *flow, const struct verify_failure *failure)
{
    log_message(flow->log, verify_failure_uses_failmode(failure->kind) ? LOG_ERR : LOG_WARNING,
                "verification service error (%s): %s", verify_failure_name(failure->kind),
                failure->detail);
    flow->reason = verify_failure_name(failure->kind);
    if (verify_failure_uses_failmode(failure->kind)) {
        if (flow->config->failmode == FAILMODE_SAFE) {
            log_message(flow->log, LOG_WARNING,
                        "FAILMODE SAFE: verification service unavailable, user %s passes "
                        "without a second factor (login.failmode = \"safe\")",
                        flow->request->user);
            flow->reason = "service_unavailable_failmode_safe";
            return LOGIN_IGNORED;
        }
        tell(flow, _("Phone verification is not available right now. Try again later."));
        return LOGIN_SERVICE_UNAVAILABLE;
    }
    switch (failure->kind) {
    case VERIFY_RATE_LIMITED:
        tell(flow, _("Too many verification attempts for this phone. Wait a few minutes and try again."));
        break;
    case VERIFY_INVALID_NUMBER:
    case VERIFY_BLOCKED:
        tell(flow, _("This phone number cannot be used for verification. Contact your administrator."));
        break;
    default:
        tell(flow, _("Phone verification failed. Contact your administrator."));
        break;
    }
    return LOGIN_DENIED;
}

static int ask(struct flow *flow, enum prompt_style style, const char *text, char **answer)
{
    *answer = NULL;
    if (flow->prompter->ask(flow->prompter->context, style, text, answer) != 0 || *answer == NULL) {
        secure_free_string(*answer);
        *answer = NULL;
        flow->reason = "conversation_error";
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
                           P_("Wrong code, %u attempt left. Enter the code (or press Enter to go back): ",
                              "Wrong code, %u attempts left. Enter the code (or press Enter to go back): ",
                              left),
                           left);
        else if (flow->chosen->channel == CHANNEL_TEXT)
            (void)snprintf(prompt, sizeof prompt,
                           _("Code sent to %s. Enter the code (or press Enter to go back): "),
                           flow->masked);
        else
            (void)snprintf(prompt, sizeof prompt,
                           _("Calling %s. Enter the code you hear (or press Enter to go back): "),
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
        enum verify_check_result result = CHECK_WRONG_CODE;
        struct verify_failure failure = {0};
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
            tell(flow, _("Too many wrong codes."));
            flow->reason = "wrong_code";
            *outcome = LOGIN_DENIED;
            return STEP_END;
        case CHECK_EXPIRED:
            set_notice(flow, _("The code has expired. Choose a phone to get a new one."));
            return STEP_BACK_TO_MENU;
        case CHECK_TOO_MANY_ATTEMPTS:
            tell(flow, _("Too many wrong codes."));
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
                   _("Calling %s. Answer it and press # to approve, then press Enter here: "),
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
            tell(flow, _("The call was declined."));
            flow->reason = "call_declined";
            *outcome = LOGIN_DENIED;
            return STEP_END;
        case CALL_EXPIRED:
            (void)snprintf(flow->notice, sizeof flow->notice, _("The call to %s was not answered."),
                           flow->masked);
            return STEP_BACK_TO_MENU;
        case CALL_PENDING:
            break;
        }
        long remaining = deadline - monotonic_ms();
        if (remaining <= 0) {
            verify_cancel(flow->client, verification);
            (void)snprintf(flow->notice, sizeof flow->notice, _("The call to %s was not answered."),
                           flow->masked);
            return STEP_BACK_TO_MENU;
        }
        sleep_ms(remaining < flow->config->poll_interval_ms ? remaining : flow->config->poll_interval_ms);
    }
}

static enum step run_verification(struct flow *flow, enum login_outcome *outcome)
{
    const struct phone_entry *phone = &flow->record.phones[flow->chosen->slot];
    struct verify_start_request request = {
        .user = flow->request->user,
        .number = &phone->number,
        .channel = flow->chosen->channel == CHANNEL_TEXT ? VERIFY_CHANNEL_TEXT : VERIFY_CHANNEL_CALL,
        .locale = flow->request->locale,
    };
    struct verification verification = {0};
    struct verify_failure failure = {0};

    flow->verifications_started++;
    if (verify_start(flow->client, &request, &verification, &failure) != 0) {
        if (failure.kind == VERIFY_CHANNEL_UNAVAILABLE) {
            log_message(flow->log, LOG_NOTICE, "verification service error (%s): %s",
                        verify_failure_name(failure.kind), failure.detail);
            set_notice(flow, flow->chosen->channel == CHANNEL_TEXT
                                 ? _("That phone cannot receive texts. Choose a call instead.")
                                 : _("That phone cannot take this call. Choose another method."));
            return STEP_BACK_TO_MENU;
        }
        *outcome = service_failure(flow, &failure);
        return STEP_END;
    }
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
    const char *header = flow->config->menu_header ? flow->config->menu_header : _("Verify your identity:");
    char prompt[PROMPT_MAX];
    unsigned invalid = 0;

    for (;;) {
        if (flow->verifications_started >= flow->config->verifications_per_login) {
            if (flow->notice[0] != '\0')
                tell(flow, flow->notice);
            tell(flow, _("No more verification attempts for this login."));
            flow->reason = "verifications_exhausted";
            return LOGIN_DENIED;
        }
        if (menu_render(&flow->menu, &flow->record, flow->notice[0] ? flow->notice : NULL, header,
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
                tell(flow, _("No valid choice was made."));
                flow->reason = "invalid_choice";
                return LOGIN_DENIED;
            }
            (void)snprintf(flow->notice, sizeof flow->notice,
                           _("Please enter a number from 1 to %zu."), flow->menu.count);
            continue;
        }
        flow->chosen = &flow->menu.items[index];
        phone_mask(&flow->record.phones[flow->chosen->slot].number, flow->masked, sizeof flow->masked);
        enum login_outcome outcome = LOGIN_DENIED;
        if (run_verification(flow, &outcome) == STEP_END)
            return outcome;
    }
}

/* 0 when the user has a record; otherwise -1 with *outcome set. */
static int load_record(struct flow *flow, enum login_outcome *outcome)
{
    struct phone_store store;
    struct store_error error;

    *outcome = LOGIN_INTERNAL_ERROR;
    flow->reason = "store_error";
    if (phone_store_open(flow->config->store_directory, &store, &error) != 0) {
        log_message(flow->log, LOG_ERR, "store error: %s", error.message);
        return -1;
    }
    enum store_read_result read = phone_store_read(&store, flow->request->user, &flow->record, &error);
    phone_store_close(&store);
    switch (read) {
    case STORE_FOUND:
        return 0;
    case STORE_NOT_ENROLLED:
        flow->reason = "not_enrolled";
        if (flow->config->unenrolled == UNENROLLED_IGNORE) {
            *outcome = LOGIN_IGNORED;
            return -1;
        }
        tell(flow, _("No phone is registered for your account. Contact your administrator."));
        *outcome = LOGIN_DENIED;
        return -1;
    case STORE_ERROR:
        break;
    }
    log_message(flow->log, LOG_ERR, "store error: %s", error.message);
    return -1;
}

enum login_outcome login_verify(const struct phonemfa_config *config,
                                const struct login_request *request, const struct prompter *prompter,
                                const struct log_sink *log)
{
    struct flow flow = {
        .config = config, .request = request, .prompter = prompter, .log = log,
        .reason = "internal_error",
    };
    enum login_outcome outcome = LOGIN_INTERNAL_ERROR;

    if (!user_name_is_valid(request->user)) {
        flow.reason = "invalid_user";
        outcome = LOGIN_DENIED;
        goto out;
    }
    if (load_record(&flow, &outcome) != 0)
        goto out;
    menu_build(&flow.record, &flow.menu);
    flow.client = verify_client_new(config, log);
    if (flow.client == NULL) {
        flow.reason = "client_setup_failed";
        goto out;
    }
    outcome = choose_and_verify(&flow);
out:
    verify_client_free(flow.client);
    login_log_outcome(log, request, outcome, flow.reason, flow.masked,
                      flow.chosen ? phone_channel_name(flow.chosen->channel) : NULL);
    explicit_bzero(&flow.record, sizeof flow.record);
    return outcome;
}
