#include "setup_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input_digits.h"
#include "policy.h"
#include "setup_self.h"
#include "setup_terminal.h"
#include "setup_text.h"
#include "verify_client.h"

#define CODE_INPUT_MAX 64

/* The per-user state as a login keeps it. Self-service runs as the user
 * between changes: the state is root's, so root is taken for each use. */
struct proof {
    const struct setup_context *context;
    struct record_dir state;
    bool state_open;
    struct attempt send;
};

static int with_state(struct proof *proof, int (*use)(struct proof *, void *), void *argument)
{
    if (privileges_raise() != 0)
        return -1;
    int result = use(proof, argument);
    return privileges_lower() == 0 ? result : -1;
}

static int open_state(struct proof *proof, void *argument)
{
    struct record_dir_error error;
    (void)argument;

    if (!policy_uses_state(proof->context->config))
        return 0;
    if (record_dir_open_or_create(proof->context->config->state_directory, "state directory", &proof->state,
                                  &error) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return -1;
    }
    proof->state_open = true;
    return 0;
}

static int reserve_send(struct proof *proof, void *reserved_at)
{
    struct record_dir_error error;

    if (!proof->state_open)
        return 0;
    /* A proof is not a login: the text counts against the send limit, every
     * code typed toward the lockout, but an approval clears nothing. */
    if (policy_reserve_send(proof->context->config, &proof->state, proof->context->user,
                            *(time_t *)reserved_at, false, &proof->send, &error) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return -1;
    }
    return 0;
}

static int refund_send(struct proof *proof, void *reserved_at)
{
    struct record_dir_error error;

    if (proof->state_open && policy_refund_send(proof->context->config, &proof->state, proof->context->user,
                                                *(time_t *)reserved_at, &error) != 0)
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
    return 0;
}

static int reserve_code(struct proof *proof, void *attempt)
{
    struct record_dir_error error;
    struct attempt *result = attempt;

    memset(result, 0, sizeof *result);
    if (!proof->state_open)
        return 0;
    int rc = policy_reserve_code(proof->context->config, &proof->state, proof->context->user, time(NULL), NULL,
                                 result, &error);
    if (rc != 0)
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
    return rc;
}

static int close_state(struct proof *proof, void *argument)
{
    (void)argument;
    if (proof->state_open)
        record_dir_close(&proof->state);
    proof->state_open = false;
    return 0;
}

static void say_locked_out(const struct setup_context *context, time_t until)
{
    time_t now = time(NULL);
    long minutes = until > now ? (long)((until - now + 59) / 60) : 1;

    fputs("phonemfa-setup: ", stderr);
    /* TRANSLATORS: %s is a user name, %ld a number of minutes. */
    fprintf(stderr, TP_(context->catalogue, "too many failed verifications for %s; try again in %ld minute\n",
                        "too many failed verifications for %s; try again in %ld minutes\n", minutes),
            context->user, minutes);
}

/* What the administrator allows for logins, checked before anything is sent. */
static bool allowed_by_policy(const struct setup_context *context, const struct phone_number *number,
                              enum phone_channel channel, const char *masked)
{
    const struct i18n_catalogue *catalogue = context->catalogue;

    if (!policy_phone_allowed(context->config, number)) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is a masked number such as "+X XXXXXXXX17" (keep
         * it as is), %u its country calling code; limits.countries is a
         * setting of phonemfa.conf (keep it). */
        fprintf(stderr, T_(catalogue, "%s: country code %u is not allowed here (limits.countries)\n"), masked,
                phone_country_code(number));
        return false;
    }
    if (!(context->config->allowed_channels & channel)) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: limits.channels is a setting of phonemfa.conf (keep it). */
        fputs(channel == CHANNEL_TEXT ? T_(catalogue, "verification by text is not allowed here (limits.channels)\n")
                                      /* TRANSLATORS: limits.channels is a setting of phonemfa.conf (keep it). */
                                      : T_(catalogue, "verification by call is not allowed here (limits.channels)\n"),
              stderr);
        return false;
    }
    return true;
}

/* Ask for the code until it is right, the attempts run out or the state says no. */
static int ask_codes(struct proof *proof, struct verify_client *client, const struct verification *verification,
                     enum phone_channel channel, const char *masked)
{
    const struct setup_context *context = proof->context;
    const struct i18n_catalogue *catalogue = context->catalogue;
    struct verify_failure failure = {0};

    for (unsigned attempt = 0; attempt < context->config->code_attempts; attempt++) {
        char code[CODE_INPUT_MAX];
        char prompt[384];
        struct attempt counted;
        if (channel == CHANNEL_TEXT)
            /* TRANSLATORS: a prompt; %s is a masked number such as
             * "+X XXXXXXXX17" (keep it as is). */
            (void)snprintf(prompt, sizeof prompt, T_(catalogue, "Code sent to %s. Enter the code: "), masked);
        else
            /* TRANSLATORS: a prompt; %s is a masked number such as
             * "+X XXXXXXXX17" (keep it as is). */
            (void)snprintf(prompt, sizeof prompt, T_(catalogue, "Calling %s. Enter the code: "), masked);
        /* A refused answer (too long, a NUL byte) is a wrong code, not the end. */
        int read = setup_read_line(prompt, true, code, sizeof code);
        if (read == SETUP_INPUT_END)
            break;
        if (read != 0)
            code[0] = '\0';
        if (with_state(proof, reserve_code, &counted) != 0) {
            explicit_bzero(code, sizeof code);
            return SETUP_BROKEN;
        }
        if (counted.verdict == ATTEMPT_LOCKED_OUT) {
            explicit_bzero(code, sizeof code);
            say_locked_out(context, counted.locked_until);
            return SETUP_REFUSED;
        }
        /* Typed in full-width digits, or grouped as it was read out: still the code. */
        (void)input_digits_fold(code);
        verify_code_normalise(code);
        enum verify_check_result check = CHECK_WRONG_CODE;
        int rc = verify_code_is_well_formed(code) ? verify_check(client, verification, code, &check, &failure) : 0;
        explicit_bzero(code, sizeof code);
        if (rc != 0) {
            fputs("phonemfa-setup: ", stderr);
            /* TRANSLATORS: the first %s is the kind of failure, the second
             * the service's own words (neither is translated). */
            fprintf(stderr, T_(catalogue, "check failed (%s): %s\n"), verify_failure_name(failure.kind),
                    failure.detail);
            return SETUP_BROKEN;
        }
        if (check == CHECK_APPROVED)
            return SETUP_OK;
        if (check != CHECK_WRONG_CODE)
            break;
        printf("%s\n", T_(catalogue, "Wrong code."));
    }
    return SETUP_NOT_VERIFIED;
}

static void pause_ms(long milliseconds)
{
    struct timespec delay = {.tv_sec = milliseconds / 1000, .tv_nsec = (milliseconds % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0)
        ;
}

/* A service that verifies calls by key press (the seeds' "we're calling
 * your phone, answer and press #"): the call is the proof once the service
 * reports it approved, within login.call_answer_timeout. */
static int await_approval(const struct setup_context *context, struct verify_client *client,
                          const struct verification *verification, const char *masked)
{
    const struct phonemfa_config *config = context->config;
    const struct i18n_catalogue *catalogue = context->catalogue;
    long waited = 0;

    /* TRANSLATORS: %s is a masked number such as "+X XXXXXXXX17" (keep it
     * as is); # is the key on the phone. */
    printf(T_(catalogue, "Calling %s. Answer it and press # to confirm the phone.\n"), masked);
    (void)fflush(stdout);
    while (waited < config->call_answer_timeout_ms) {
        enum verify_call_status status = CALL_PENDING;
        struct verify_failure failure = {0};
        if (verify_call_status(client, verification, &status, &failure) != 0) {
            fputs("phonemfa-setup: ", stderr);
            /* TRANSLATORS: the first %s is the kind of failure, the second
             * the service's own words (neither is translated). */
            fprintf(stderr, T_(catalogue, "the call's status is unknown (%s): %s\n"),
                    verify_failure_name(failure.kind), failure.detail);
            return SETUP_BROKEN;
        }
        if (status == CALL_APPROVED)
            return SETUP_OK;
        if (status == CALL_DENIED) {
            printf("%s\n", T_(catalogue, "The call was declined."));
            return SETUP_NOT_VERIFIED;
        }
        if (status == CALL_EXPIRED)
            break;
        pause_ms(config->poll_interval_ms);
        waited += config->poll_interval_ms;
    }
    /* TRANSLATORS: %s is a masked number such as "+X XXXXXXXX17". */
    printf(T_(catalogue, "The call to %s was not answered.\n"), masked);
    return SETUP_NOT_VERIFIED;
}

/* The number in full, as it will be dialled, before anything is sent: a
 * typo would otherwise cost a text (and count toward the send limit). It is
 * the number the person at this terminal just typed, so it is shown to
 * them unmasked; it is never logged. */
static bool confirm_number(const struct setup_context *context, const struct phone_number *number,
                           enum phone_channel channel)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    char prompt[384], answer[CODE_INPUT_MAX], dialled[PHONE_E164_MAX + PHONE_EXTENSION_MAX + 16];

    /* The number as it is dialled: "+44 7700900123", and its extension. */
    (void)snprintf(dialled, sizeof dialled, "+%.*s %s", (int)number->country_code_digits, number->e164 + 1,
                   number->e164 + 1 + number->country_code_digits);
    if (number->extension[0] != '\0')
        (void)snprintf(prompt, sizeof prompt,
                       /* TRANSLATORS: a prompt; the first %s is the whole
                        * phone number as typed ("+1 5555550123"), the second
                        * its extension. Enter alone, y or your word for yes
                        * mean yes. */
                       channel == CHANNEL_TEXT ? T_(catalogue, "Verify %s ext. %s by text? [Y/n] ")
                                               /* TRANSLATORS: as "Verify %s ext. %s by text? [Y/n] ". */
                                               : T_(catalogue, "Verify %s ext. %s by call? [Y/n] "),
                       dialled, number->extension);
    else
        (void)snprintf(prompt, sizeof prompt,
                       /* TRANSLATORS: a prompt; %s is the whole phone number
                        * as typed ("+44 7700900123"). Enter alone, y or your
                        * word for yes mean yes. */
                       channel == CHANNEL_TEXT ? T_(catalogue, "Verify %s by text? [Y/n] ")
                                               /* TRANSLATORS: as "Verify %s by text? [Y/n] ". */
                                               : T_(catalogue, "Verify %s by call? [Y/n] "),
                       dialled);
    int read = setup_read_line(prompt, false, answer, sizeof answer);
    bool yes = read == 0 && (answer[0] == '\0' || i18n_answer_is_yes(catalogue, answer));
    if (!yes)
        printf("%s\n", T_(catalogue, "Nothing was sent."));
    return yes;
}

int setup_prove_possession(const struct setup_context *context, const struct phone_number *number,
                           enum phone_channel channel)
{
    struct proof proof = {.context = context};
    struct verify_start_request request = {
        .user = context->user, .number = number,
        .channel = channel == CHANNEL_TEXT ? VERIFY_CHANNEL_TEXT : VERIFY_CHANNEL_CALL,
        /* The user's language: theirs, else login.locale. */
        .locale = context->user_language,
    };
    struct verification verification = {0};
    struct verify_failure failure = {0};
    struct verify_client *client = NULL;
    char masked[PHONE_MASK_MAX];
    time_t reserved_at = time(NULL);
    int result = SETUP_BROKEN;

    phone_mask(number, masked, sizeof masked);
    if (!allowed_by_policy(context, number, channel, masked))
        return SETUP_REFUSED;
    if (with_state(&proof, open_state, NULL) != 0 || with_state(&proof, reserve_send, &reserved_at) != 0)
        goto out;
    if (proof.send.verdict == ATTEMPT_LOCKED_OUT) {
        say_locked_out(context, proof.send.locked_until);
        result = SETUP_REFUSED;
        goto out;
    }
    if (proof.send.verdict == ATTEMPT_SEND_LIMIT) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is a user name. */
        fprintf(stderr, T_(context->catalogue, "too many texts and calls for %s recently; try again later\n"),
                context->user);
        result = SETUP_REFUSED;
        goto out;
    }
    /* Asked once every refusal has been said: what is confirmed is sent. */
    if (!confirm_number(context, number, channel)) {
        (void)with_state(&proof, refund_send, &reserved_at);
        result = SETUP_REFUSED;
        goto out;
    }
    client = verify_client_new(context->config, NULL, context->log);
    if (client == NULL)
        goto out;
    if (verify_start(client, &request, &verification, &failure) != 0) {
        if (!failure.request_sent)
            (void)with_state(&proof, refund_send, &reserved_at);
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: the first %s is the kind of failure, the second the
         * service's own words (neither is translated). */
        fprintf(stderr, T_(context->catalogue, "the verification service refused or failed (%s): %s\n"),
                verify_failure_name(failure.kind), failure.detail);
        goto out;
    }
    if (verification.mode == VERIFY_MODE_CALL_APPROVAL)
        result = await_approval(context, client, &verification, masked);
    else
        result = ask_codes(&proof, client, &verification, channel, masked);
    if (result != SETUP_OK) {
        verify_cancel(client, &verification);
        if (result == SETUP_NOT_VERIFIED)
            fprintf(stderr, "phonemfa-setup: %s\n",
                    T_(context->catalogue, "the phone was not verified; nothing was saved"));
    }
out:
    verify_client_free(client);
    (void)with_state(&proof, close_state, NULL);
    return result;
}
