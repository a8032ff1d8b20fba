#include "setup_self.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "i18n.h"
#include "menu.h"
#include "input_digits.h"
#include "phone_directory.h"
#include "secure_mem.h"
#include "setup_country.h"
#include "setup_language.h"
#include "setup_terminal.h"
#include "setup_text.h"
#include "setup_verify.h"
#include "user_state.h"

#define ANSWER_MAX 64
#define TRIES 3

int privileges_drop(uid_t user)
{
    return setresuid(user, user, 0) == 0 && geteuid() == user && getuid() == user ? 0 : -1;
}

int privileges_raise(void)
{
    return seteuid(0) == 0 ? 0 : -1;
}

int privileges_lower(void)
{
    return seteuid(getuid()) == 0 && geteuid() == getuid() ? 0 : -1;
}

/* -- re-authentication, like passwd and chfn -------------------------------------- */

static int terminal_conversation(int count, const struct pam_message **messages,
                                 struct pam_response **responses, void *data)
{
    (void)data;
    struct pam_response *replies = calloc((size_t)count, sizeof *replies);
    int result = PAM_SUCCESS;

    if (replies == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < count && result == PAM_SUCCESS; i++) {
        int style = messages[i]->msg_style;
        if (style == PAM_ERROR_MSG || style == PAM_TEXT_INFO) {
            printf("%s\n", messages[i]->msg);
            continue;
        }
        char answer[256];
        result = PAM_CONV_ERR;
        if ((style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) &&
            setup_read_line(messages[i]->msg, style == PAM_PROMPT_ECHO_OFF, answer, sizeof answer) == 0) {
            replies[i].resp = strdup(answer);
            if (replies[i].resp != NULL)
                result = PAM_SUCCESS;
        }
        explicit_bzero(answer, sizeof answer);
    }
    if (result != PAM_SUCCESS) {
        for (int i = 0; i < count; i++)
            secure_free_string(replies[i].resp);
        free(replies);
        return result;
    }
    *responses = replies;
    return PAM_SUCCESS;
}

static bool reauthenticate(const struct setup_context *context)
{
    struct pam_conv conversation = {terminal_conversation, NULL};
    pam_handle_t *pamh = NULL;
    const char *tty = context->tty;

    int rc = pam_start_confdir("phonemfa-setup", context->user, &conversation, PHONEMFA_PAM_CONFDIR, &pamh);
    if (rc == PAM_SUCCESS)
        rc = pam_set_item(pamh, PAM_RUSER, context->user);
    if (rc == PAM_SUCCESS && tty != NULL)
        rc = pam_set_item(pamh, PAM_TTY, tty);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(pamh, 0);
    if (rc == PAM_SUCCESS)
        rc = pam_acct_mgmt(pamh, 0);
    if (pamh != NULL)
        (void)pam_end(pamh, rc);
    if (rc != PAM_SUCCESS)
        log_message(context->log, LOG_NOTICE, "change=none user=%s reauthentication failed actor=%s",
                    context->user, context->actor);
    return rc == PAM_SUCCESS;
}

/* -- the menu ------------------------------------------------------------------------ */

static int load(const struct setup_context *context, struct phone_record *record, bool *enrolled)
{
    struct directory_error error = {{0}};
    int result = -1;

    if (privileges_raise() != 0)
        return -1;
    enum directory_result read = phone_directory_read(context->directory, context->user, record, &error);
    if (read == DIRECTORY_FOUND || read == DIRECTORY_NOT_ENROLLED) {
        *enrolled = read == DIRECTORY_FOUND;
        result = 0;
    }
    if (privileges_lower() != 0)
        return -1;
    if (result != 0)
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
    return result;
}

/* One line of the user's phones, whole per slot and kind so that a
 * translation can keep its own columns. */
static void show_phone(const struct i18n_catalogue *catalogue, enum phone_slot slot, const struct phone_entry *entry)
{
    char masked[PHONE_MASK_MAX];
    bool calls = entry->channels == CHANNEL_CALL;

    if (!entry->present) {
        /* TRANSLATORS: a line of the user's phones: no phone in this slot.
         * The words primary, alternate and office start the lines of the
         * list; keep the columns aligned with the other lines. */
        printf("%s\n", slot == SLOT_PRIMARY     ? T_(catalogue, "  primary    none")
                       : slot == SLOT_ALTERNATE ? T_(catalogue, "  alternate  none")
                                                : T_(catalogue, "  office     none"));
        return;
    }
    phone_mask(&entry->number, masked, sizeof masked);
    if (slot == SLOT_PRIMARY)
        /* TRANSLATORS: a line of the user's phones; %s is a masked number
         * such as "+X XXXXXXXX17" (keep it as is); keep the columns. */
        printf(calls ? T_(catalogue, "  primary    %s  (calls)\n")
                     /* TRANSLATORS: as "  primary    %s  (calls)". */
                     : T_(catalogue, "  primary    %s  (texts and calls)\n"),
               masked);
    else if (slot == SLOT_ALTERNATE)
        /* TRANSLATORS: as "  primary    %s  (calls)". */
        printf(calls ? T_(catalogue, "  alternate  %s  (calls)\n")
                     /* TRANSLATORS: as "  primary    %s  (calls)". */
                     : T_(catalogue, "  alternate  %s  (texts and calls)\n"),
               masked);
    else
        /* TRANSLATORS: as "  primary    %s  (calls)". */
        printf(calls ? T_(catalogue, "  office     %s  (calls)\n")
                     /* TRANSLATORS: as "  primary    %s  (calls)". */
                     : T_(catalogue, "  office     %s  (texts and calls)\n"),
               masked);
}

static void show(const struct setup_context *context, const struct phone_record *record)
{
    const struct i18n_catalogue *catalogue = context->catalogue;

    /* TRANSLATORS: the first %s is a user name, the second where the
     * phones are kept (a file directory or a directory service's name). */
    printf(T_(catalogue, "\nPhones for %s (kept in %s):\n"), context->user,
           phone_directory_where(context->directory));
    for (int slot = 0; slot < SLOT_COUNT; slot++)
        show_phone(catalogue, (enum phone_slot)slot, &record->phones[slot]);
    if (record->has_preferred)
        fputs(setup_preferred_line(catalogue, record->preferred_slot, record->preferred_channel), stdout);
    if (setup_language_is_kept(context)) {
        char described[96];
        setup_describe_language(context, record->language, described, sizeof described);
        /* TRANSLATORS: a line of the user's phones: the language they read;
         * %s is like "Deutsch (de)" or "English (the default)". */
        printf(T_(catalogue, "  language:  %s\n"), described);
    }
}

enum action { ADD_ALTERNATE, ADD_OFFICE, ADD_PRIMARY, REMOVE_ALTERNATE, REMOVE_OFFICE, PREFERRED, LANGUAGE, FORGET, QUIT };

struct menu_entry {
    enum action action;
    const char *label;
};

static size_t build_menu(const struct setup_context *context, const struct phone_record *record, bool enrolled,
                         struct menu_entry *entries)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    unsigned writable = phone_directory_writable_slots(context->directory);
    unsigned allowed = context->config->self_service_slots & writable;
    size_t count = 0;

    if (writable == 0)
        /* TRANSLATORS: %s is who manages the phones (a directory service's
         * name, or its administrators). */
        printf(T_(catalogue, "Your phones are managed by %s; they cannot be changed here.\n"),
               phone_directory_managed_by(context->directory));
    /* TRANSLATORS: the entries of phonemfa-setup's menu. */
    if (!enrolled && context->config->self_register && (writable & (1u << SLOT_PRIMARY)))
        entries[count++] = (struct menu_entry){ADD_PRIMARY, T_(catalogue, "Register your primary phone")};
    if (enrolled && (allowed & (1u << SLOT_ALTERNATE)))
        entries[count++] = (struct menu_entry){ADD_ALTERNATE, T_(catalogue, "Add or change the alternate phone")};
    if (enrolled && (allowed & (1u << SLOT_OFFICE)))
        entries[count++] =
            (struct menu_entry){ADD_OFFICE, T_(catalogue, "Add or change the office phone (calls, with extension)")};
    if (record->phones[SLOT_ALTERNATE].present && (allowed & (1u << SLOT_ALTERNATE)))
        entries[count++] = (struct menu_entry){REMOVE_ALTERNATE, T_(catalogue, "Remove the alternate phone")};
    if (record->phones[SLOT_OFFICE].present && (allowed & (1u << SLOT_OFFICE)))
        entries[count++] = (struct menu_entry){REMOVE_OFFICE, T_(catalogue, "Remove the office phone")};
    if (enrolled && phone_directory_keeps_details(context->directory))
        entries[count++] = (struct menu_entry){PREFERRED, T_(catalogue, "Choose what Enter picks at login")};
    /* The language is kept with the phones, and only in the local store. */
    if (enrolled && setup_language_is_kept(context))
        entries[count++] = (struct menu_entry){LANGUAGE, T_(catalogue, "Language")};
    /* Only where logins are remembered at all: otherwise there is nothing
     * to forget, and the state it would clear may not even exist. */
    if (enrolled && context->config->remember_mode != REMEMBER_OFF)
        entries[count++] = (struct menu_entry){FORGET, T_(catalogue, "Forget remembered logins")};
    entries[count++] = (struct menu_entry){QUIT, T_(catalogue, "Quit")};
    return count;
}

/* Ask until a valid answer, at most TRIES times. Returns the index, or -1.
 * The number may be typed in full-width digits (a Japanese input method). */
static int choose(const struct i18n_catalogue *catalogue, const char *prompt, size_t count)
{
    for (int attempt = 0; attempt < TRIES; attempt++) {
        char answer[ANSWER_MAX];
        int read = setup_read_line(prompt, false, answer, sizeof answer);
        if (read == SETUP_INPUT_END)
            return -1;
        (void)input_digits_fold(answer);
        char *end = NULL;
        long value = strtol(answer, &end, 10);
        if (read == 0 && end != answer && *end == '\0' && value >= 1 && (size_t)value <= count)
            return (int)value - 1;
        /* TRANSLATORS: %zu is the number of choices; keep the digits. */
        printf(T_(catalogue, "Please enter a number from 1 to %zu.\n"), count);
    }
    return -1;
}

static int ask_number(const struct setup_context *context, enum phone_slot slot, struct phone_number *number)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    char input[ANSWER_MAX * 2];
    unsigned code = 0;

    /* By name in the user's language, or by calling code; the number is
     * then read as national for that country (its trunk 0 dropped). */
    if (setup_pick_country(catalogue, context->config->default_country_code, &code) != 0)
        return -1;
    for (int attempt = 0; attempt < TRIES; attempt++) {
        /* TRANSLATORS: prompts; "x" marks an extension as it is typed. */
        int read = setup_read_line(slot == SLOT_OFFICE
                                       ? T_(catalogue, "Phone number (with extension, e.g. 555 0123 x4321): ")
                                       : T_(catalogue, "Phone number (or +country number): "),
                                   false, input, sizeof input);
        if (read == SETUP_INPUT_END)
            return -1;
        enum phone_parse_error error = read == 0                    ? phone_parse(input, code, number)
                                       : read == SETUP_INPUT_INVALID ? PHONE_BAD_CHARACTER
                                                                     : PHONE_TOO_LONG;
        if (error == PHONE_OK && slot != SLOT_OFFICE && number->extension[0] != '\0')
            error = PHONE_BAD_EXTENSION;
        if (error == PHONE_OK)
            return 0;
        char hint[PHONE_HINT_MAX];
        bool hinted = read == 0 && phone_parse_hint(catalogue, input, code, error, hint, sizeof hint);
        /* TRANSLATORS: %s says why (one of the phone number errors). */
        printf(T_(catalogue, "That number cannot be used: %s.\n"), T_(catalogue, phone_parse_error_text(error)));
        if (hinted)
            printf("%s\n", hint);
    }
    return -1;
}

static int add_phone(const struct setup_context *context, enum phone_slot slot)
{
    struct phone_change change = {.slot = slot};
    enum phone_channel channel = CHANNEL_CALL;

    if (ask_number(context, slot, &change.number) != 0)
        return SETUP_REFUSED;
    change.channels = slot == SLOT_OFFICE ? CHANNEL_CALL : CHANNEL_TEXT | CHANNEL_CALL;
    if (slot != SLOT_OFFICE) {
        /* TRANSLATORS: a prompt; keep the numbers 1) and 2) and their order. */
        int how = choose(context->catalogue, T_(context->catalogue, "Verify it by 1) text or 2) call: "), 2);
        if (how < 0)
            return SETUP_REFUSED;
        channel = how == 0 ? CHANNEL_TEXT : CHANNEL_CALL;
    }
    printf("%s\n", T_(context->catalogue, "The number will be used only for account security. Standard call and "
                                          "text charges may apply."));
    int proven = setup_prove_possession(context, &change.number, channel);
    if (proven != SETUP_OK)
        return proven;
    change.verified_by = channel == CHANNEL_TEXT ? VERIFIED_BY_TEXT : VERIFIED_BY_CALL;
    if (privileges_raise() != 0)
        return SETUP_BROKEN;
    int result = setup_edit_record(context, setup_apply_phone, &change);
    if (privileges_lower() != 0)
        return SETUP_BROKEN;
    if (result == SETUP_OK) {
        setup_log_change(context, "add", phone_slot_name(slot), &change.number,
                         channel == CHANNEL_TEXT ? "verified_by=text" : "verified_by=call");
        printf("%s\n", T_(context->catalogue, "Saved."));
    }
    return result;
}

static int as_root(const struct setup_context *context,
                   int (*change)(const struct setup_context *, struct phone_record *, bool *, void *), void *argument)
{
    if (privileges_raise() != 0)
        return SETUP_BROKEN;
    int result = setup_edit_record(context, change, argument);
    return privileges_lower() == 0 ? result : SETUP_BROKEN;
}

static int choose_preferred(const struct setup_context *context, const struct phone_record *record)
{
    struct preferred_change options[SLOT_COUNT * 2];
    size_t count = 0;

    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        const struct phone_entry *entry = &record->phones[slot];
        char masked[PHONE_MASK_MAX];
        if (!entry->present)
            continue;
        phone_mask(&entry->number, masked, sizeof masked);
        for (int c = 0; c < 2; c++) {
            enum phone_channel channel = c == 0 ? CHANNEL_TEXT : CHANNEL_CALL;
            if (!(entry->channels & channel))
                continue;
            options[count] = (struct preferred_change){(enum phone_slot)slot, channel};
            struct menu_item item = {(enum phone_slot)slot, channel};
            char label[MENU_LABEL_MAX];
            /* The login menu's own words ("Text +X XXXXXXXX17 (alternate)"). */
            menu_item_label(context->catalogue, &item, record, label, sizeof label);
            printf("  %zu) %s\n", ++count, label);
        }
    }
    int index = choose(context->catalogue, T_(context->catalogue, "Choose: "), count);
    if (index < 0)
        return SETUP_REFUSED;
    int result = as_root(context, setup_apply_preferred, &options[index]);
    if (result == SETUP_OK)
        setup_log_change(context, "preferred", phone_slot_name(options[index].slot), NULL,
                         options[index].channel == CHANNEL_TEXT ? "channel=text" : "channel=call");
    return result;
}

/* The Language entry: the languages installed here, each in its own name,
 * and the administrator's default. The session keeps the language it
 * started with; the next one (and every login) uses the new one. */
static int choose_language(const struct setup_context *context, const struct phone_record *record)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    const struct setup_language *offered[SETUP_LANGUAGES_MAX];
    size_t count = setup_languages_offered(context->config, offered);
    char described[96];

    setup_describe_language(context, record->language, described, sizeof described);
    /* TRANSLATORS: %s is like "Deutsch (de)" or "English (the default)". */
    printf(T_(catalogue, "Your language: %s\n"), described);
    for (size_t i = 0; i < count; i++)
        printf("  %zu) %s\n", i + 1, offered[i]->name);
    /* TRANSLATORS: a choice of the Language menu: no language of one's own,
     * the one the administrator set for everyone. */
    printf("  %zu) %s\n", count + 1, T_(catalogue, "the system default"));
    int index = choose(catalogue, T_(catalogue, "Choose: "), count + 1);
    if (index < 0)
        return SETUP_REFUSED;
    char tag[I18N_TAG_MAX] = "";
    if ((size_t)index < count)
        (void)snprintf(tag, sizeof tag, "%s", offered[index]->tag);
    int result = as_root(context, setup_apply_language, tag);
    if (result == SETUP_OK) {
        char detail[I18N_TAG_MAX + 16];
        (void)snprintf(detail, sizeof detail, "language=%s", tag[0] != '\0' ? tag : "default");
        setup_log_change(context, "language", NULL, NULL, detail);
        setup_describe_language(context, tag, described, sizeof described);
        /* TRANSLATORS: %s is like "Deutsch (de)" or "English (the default)". */
        printf(T_(catalogue, "Language set to %s. It is used from your next login and the next time you run "
                             "phonemfa-setup.\n"),
               described);
    }
    return result;
}

static int run_action(const struct setup_context *context, enum action action, const struct phone_record *record)
{
    enum phone_slot slot;
    int result;

    switch (action) {
    case ADD_PRIMARY: return add_phone(context, SLOT_PRIMARY);
    case ADD_ALTERNATE: return add_phone(context, SLOT_ALTERNATE);
    case ADD_OFFICE: return add_phone(context, SLOT_OFFICE);
    case REMOVE_ALTERNATE:
    case REMOVE_OFFICE:
        slot = action == REMOVE_ALTERNATE ? SLOT_ALTERNATE : SLOT_OFFICE;
        struct setup_confirmed_remove remove = {.slot = slot, .number = record->phones[slot].number};
        result = setup_confirm_remove(context, slot, &remove.number);
        if (result == SETUP_OK)
            result = as_root(context, setup_apply_confirmed_remove, &remove);
        if (result == SETUP_OK)
            setup_log_change(context, "remove", phone_slot_name(slot), &record->phones[slot].number, NULL);
        return result;
    case PREFERRED: return choose_preferred(context, record);
    case LANGUAGE: return choose_language(context, record);
    case FORGET:
        if (privileges_raise() != 0)
            return SETUP_BROKEN;
        result = setup_update_state(context, setup_clear_remembered);
        if (privileges_lower() != 0)
            return SETUP_BROKEN;
        if (result == SETUP_OK)
            setup_log_change(context, "forget", NULL, NULL, NULL);
        return result;
    case QUIT: return SETUP_OK;
    }
    return SETUP_BROKEN;
}

int setup_self_service(const struct setup_context *context)
{
    const struct i18n_catalogue *catalogue = context->catalogue;

    if (!context->interactive) {
        fprintf(stderr, "phonemfa-setup: %s\n", T_(catalogue, "run it in a terminal"));
        return SETUP_NOT_PERMITTED;
    }
    fputs("phonemfa-setup: ", stdout);
    /* TRANSLATORS: said before the password is asked; %s is a user name. */
    printf(T_(catalogue, "confirm it is you (%s).\n"), context->user);
    if (!reauthenticate(context)) {
        fprintf(stderr, "phonemfa-setup: %s\n", T_(catalogue, "authentication failed; nothing was changed"));
        return SETUP_REFUSED;
    }
    if (privileges_drop((uid_t)context->caller_uid) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", T_(catalogue, "cannot drop privileges"));
        return SETUP_BROKEN;
    }
    for (;;) {
        struct phone_record record;
        struct menu_entry entries[10];
        bool enrolled = false;

        if (load(context, &record, &enrolled) != 0)
            return SETUP_BROKEN;
        show(context, &record);
        size_t count = build_menu(context, &record, enrolled, entries);
        for (size_t i = 0; i < count; i++)
            printf("%zu) %s\n", i + 1, entries[i].label);
        int index = choose(catalogue, T_(catalogue, "Choose: "), count);
        if (index < 0)
            return SETUP_REFUSED; /* end of input or no valid answer: nothing more changes */
        if (entries[index].action == QUIT)
            return SETUP_OK;
        int result = run_action(context, entries[index].action, &record);
        explicit_bzero(&record, sizeof record);
        if (result == SETUP_BROKEN || result == SETUP_NOT_VERIFIED)
            return result;
    }
}
