#include "setup_admin.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nss_lookup.h"
#include "phone_directory.h"
#include "phone_store.h"
#include "policy.h"
#include "secure_mem.h"
#include "setup_language.h"
#include "setup_terminal.h"
#include "setup_text.h"
#include "setup_users.h"
#include "setup_verify.h"
#include "user_state.h"
#include "verify_client.h"

#define INPUT_MAX 64

static int open_state(const struct setup_context *context, struct record_dir *state)
{
    struct record_dir_error error;

    if (record_dir_open(context->config->state_directory, "state directory", state, &error) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return -1;
    }
    return 0;
}

static const char *channels_text(unsigned channels)
{
    return channels == (CHANNEL_TEXT | CHANNEL_CALL) ? "text, call" : channels == CHANNEL_CALL ? "call" : "text";
}

void setup_log_change(const struct setup_context *context, const char *change, const char *slot,
                       const struct phone_number *number, const char *detail)
{
    char masked[PHONE_MASK_MAX] = "-";

    if (number != NULL)
        phone_mask(number, masked, sizeof masked);
    log_message(context->log, LOG_NOTICE, "change=%s user=%s slot=%s phone=\"%s\" %s actor=%s", change,
                context->user, slot ? slot : "-", masked, detail ? detail : "", context->actor);
}

/* -- list -------------------------------------------------------------------- */

/* A directory keeps the numbers only: the record as JSON without the
 * verification facts the local store has. */
static json_t *directory_json(const struct phone_record *record)
{
    json_t *phones = json_object();

    for (int slot = 0; phones != NULL && slot < SLOT_COUNT; slot++) {
        const struct phone_entry *entry = &record->phones[slot];
        if (!entry->present)
            continue;
        json_t *channels = json_array();
        if (entry->channels & CHANNEL_TEXT)
            (void)json_array_append_new(channels, json_string("text"));
        if (entry->channels & CHANNEL_CALL)
            (void)json_array_append_new(channels, json_string("call"));
        (void)json_object_set_new(phones, phone_slot_name((enum phone_slot)slot),
                                  json_pack("{s:s, s:s?, s:o}", "number", entry->number.e164, "extension",
                                            entry->number.extension[0] ? entry->number.extension : NULL,
                                            "channels", channels));
    }
    return json_pack("{s:o}", "phones", phones);
}

/* A phone as root sees it: the slot and channels as the command line
 * names them (data, in English), then how it was verified, translated. */
static void print_phone(const struct i18n_catalogue *catalogue, enum phone_slot slot, const struct phone_entry *entry,
                        bool details)
{
    char added[21], verified[21];

    phone_record_format_time(entry->added_at, added);
    phone_record_format_time(entry->verified_at, verified);
    printf("  %-10s %s%s%s  %s%s", phone_slot_name(slot), entry->number.e164,
           entry->number.extension[0] ? " ext. " : "", entry->number.extension, channels_text(entry->channels),
           details ? "  " : "\n");
    if (!details)
        return;
    if (entry->verified_by == VERIFIED_NONE)
        /* TRANSLATORS: the end of a line of "list": the first %s is who
         * added the phone (a user name), the second when
         * (2026-01-31T12:00:00Z). */
        printf(T_(catalogue, "NOT VERIFIED (added by %s on %s without verification)\n"), entry->added_by, added);
    else if (entry->verified_by == VERIFIED_BY_TEXT)
        /* TRANSLATORS: the end of a line of "list": the first %s is when the
         * phone was verified (2026-01-31T12:00:00Z), the second who added it. */
        printf(T_(catalogue, "verified by text on %s, added by %s\n"), verified, entry->added_by);
    else
        /* TRANSLATORS: as "verified by text on %s, added by %s". */
        printf(T_(catalogue, "verified by call on %s, added by %s\n"), verified, entry->added_by);
}

int setup_list(const struct setup_context *context, bool json)
{
    struct directory_error error = {{0}};
    struct phone_record record;
    struct user_state *state = calloc(1, sizeof *state);
    int result = SETUP_BROKEN;

    if (state == NULL)
        return SETUP_BROKEN;
    enum directory_result read = phone_directory_read(context->directory, context->user, &record, &error);
    if (read == DIRECTORY_FAILED || read == DIRECTORY_UNAVAILABLE) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        goto out;
    }
    bool details = phone_directory_keeps_details(context->directory);
    struct record_dir state_dir;
    if (policy_uses_state(context->config) && access(context->config->state_directory, F_OK) == 0) {
        struct record_dir_error state_error;
        if (open_state(context, &state_dir) != 0)
            goto out;
        int rc = user_state_read(&state_dir, context->user, state, &state_error);
        record_dir_close(&state_dir);
        if (rc != 0) {
            fprintf(stderr, "phonemfa-setup: %s\n", state_error.message);
            goto out;
        }
    }
    time_t now = time(NULL);
    char until[21];
    phone_record_format_time(state->locked_until, until);
    if (json) {
        struct phone_record_error record_error;
        char *text = read == DIRECTORY_FOUND && details ? phone_record_serialize(&record, &record_error) : NULL;
        json_t *record_json = text ? json_loads(text, 0, NULL) : read == DIRECTORY_FOUND ? directory_json(&record)
                                                                                       : json_null();
        json_t *root = json_pack("{s:s, s:s, s:o, s:{s:b, s:o}, s:i}", "user", context->user, "source",
                                 phone_directory_where(context->directory), "record", record_json,
                                 "lockout", "locked", state->locked_until > now,
                                 "until", state->locked_until > now ? json_string(until) : json_null(),
                                 "remembered_logins", (int)state->remembered_count);
        free(text);
        char *dump = root ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        if (dump != NULL)
            printf("%s\n", dump);
        free(dump);
        json_decref(root);
        result = dump != NULL ? SETUP_OK : SETUP_BROKEN;
        goto out;
    }
    const struct i18n_catalogue *catalogue = context->catalogue;
    /* TRANSLATORS: the first line of "list": a user name, then where the
     * phones are kept (a file directory or a directory service's name). */
    printf(T_(catalogue, "%s (phones in %s)\n"), context->user, phone_directory_where(context->directory));
    if (read == DIRECTORY_NOT_ENROLLED) {
        printf("%s\n", T_(catalogue, "  no phone registered"));
    } else {
        for (int slot = 0; slot < SLOT_COUNT; slot++)
            if (record.phones[slot].present)
                print_phone(catalogue, (enum phone_slot)slot, &record.phones[slot], details);
        if (record.has_preferred)
            fputs(setup_preferred_line(catalogue, record.preferred_slot, record.preferred_channel), stdout);
        if (details && record.language[0] != '\0')
            /* TRANSLATORS: a line of "list": the user's own language, a
             * tag such as "ja" (without it: login.locale). */
            printf(T_(catalogue, "  language: %s\n"), record.language);
    }
    if (state->locked_until > now)
        /* TRANSLATORS: a line of "list"; %s is a time (2026-01-31T12:00:00Z). */
        printf(T_(catalogue, "  lockout: locked until %s\n"), until);
    else
        /* TRANSLATORS: a line of "list"; %zu is a number of failures. */
        printf(TP_(catalogue, "  lockout: none (%zu recent failed verification)\n",
                   "  lockout: none (%zu recent failed verifications)\n", state->failure_count),
               state->failure_count);
    /* TRANSLATORS: a line of "list"; %zu is a number of remembered logins. */
    printf(T_(catalogue, "  remembered logins: %zu\n"), state->remembered_count);
    result = SETUP_OK;
out:
    free(state);
    return result;
}

/* -- changes to the phone record ------------------------------------------------ */

struct edit {
    const struct setup_context *context;
    int (*change)(const struct setup_context *, struct phone_record *, bool *exists, void *);
    void *argument;
};

static int edit_change(void *argument, struct phone_record *record, bool *exists)
{
    const struct edit *edit = argument;
    return edit->change(edit->context, record, exists, edit->argument);
}

/* Read the user's record (absent: empty), let change() edit it, save it
 * where the phones are kept (the local store: under the user's lock). change
 * returns a setup_exit. */
int setup_edit_record(const struct setup_context *context,
                      int (*change)(const struct setup_context *, struct phone_record *, bool *exists, void *),
                      void *argument)
{
    struct edit edit = {.context = context, .change = change, .argument = argument};
    struct directory_error error = {{0}};

    int result = phone_directory_edit(context->directory, context->user, edit_change, &edit, &error);
    if (result == DIRECTORY_EDIT_FAILED) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return SETUP_BROKEN;
    }
    return result;
}

static bool slot_from_argument(const struct setup_context *context, const char *name, enum phone_slot *slot)
{
    if (!phone_slot_from_name(name, slot)) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is what was typed; primary, alternate and office
         * are typed as they are (keep them). */
        fprintf(stderr, T_(context->catalogue, "'%s' is not a slot: primary, alternate or office\n"), name);
        return false;
    }
    return true;
}

int setup_apply_phone(const struct setup_context *context, struct phone_record *record, bool *exists,
                      void *argument)
{
    struct phone_change *add = argument;
    struct phone_entry *entry = &record->phones[add->slot];
    time_t now = time(NULL);

    memset(entry, 0, sizeof *entry);
    entry->present = true;
    entry->number = add->number;
    entry->channels = add->channels;
    entry->verified_by = add->verified_by;
    entry->verified_at = add->verified_by == VERIFIED_NONE ? 0 : now;
    entry->added_at = now;
    (void)snprintf(entry->added_by, sizeof entry->added_by, "%s", context->actor);
    if (record->has_preferred && record->preferred_slot == add->slot &&
        !(entry->channels & record->preferred_channel))
        record->has_preferred = false;
    *exists = true;
    return SETUP_OK;
}

int setup_add(const struct setup_context *context, const struct add_request *request)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    struct phone_change add = {0};
    enum phone_parse_error parse_error;

    if (!slot_from_argument(context, request->slot, &add.slot))
        return SETUP_USAGE;
    if (context->user_unknown) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is a user name. */
        fprintf(stderr, T_(catalogue, "there is no user %s on this system (the user lookup does not know it); "
                                      "nothing was added\n"),
                context->user);
        return SETUP_REFUSED;
    }
    parse_error = phone_parse(request->number, context->config->default_country_code, &add.number);
    if (parse_error != PHONE_OK) {
        char hint[PHONE_HINT_MAX];
        bool hinted = phone_parse_hint(catalogue, request->number, context->config->default_country_code,
                                       parse_error, hint, sizeof hint);
        fprintf(stderr, "phonemfa-setup: '%s': %s\n", request->number,
                T_(catalogue, phone_parse_error_text(parse_error)));
        if (hinted)
            fprintf(stderr, "phonemfa-setup: %s\n", hint);
        return SETUP_USAGE;
    }
    if (add.slot != SLOT_OFFICE && add.number.extension[0] != '\0') {
        fprintf(stderr, "phonemfa-setup: %s\n", T_(catalogue, "only the office phone may have an extension"));
        return SETUP_USAGE;
    }
    add.channels = add.slot == SLOT_OFFICE ? CHANNEL_CALL : CHANNEL_TEXT | CHANNEL_CALL;
    if (request->channels != NULL) {
        add.channels = strcmp(request->channels, "text,call") == 0 || strcmp(request->channels, "call,text") == 0
                           ? CHANNEL_TEXT | CHANNEL_CALL
                       : strcmp(request->channels, "call") == 0 ? CHANNEL_CALL
                       : strcmp(request->channels, "text") == 0 ? CHANNEL_TEXT
                                                                 : 0;
        if (add.channels == 0 || (add.slot == SLOT_OFFICE && add.channels != CHANNEL_CALL)) {
            /* TRANSLATORS: text, call and text,call are typed as they are. */
            fprintf(stderr, "phonemfa-setup: %s\n",
                    T_(catalogue, "--channels must be text, call or text,call (office: call)"));
            return SETUP_USAGE;
        }
    }
    add.verified_by = VERIFIED_NONE;
    if (!request->no_verify) {
        enum phone_channel channel = strcmp(request->verify_channel, "text") == 0 ? CHANNEL_TEXT : CHANNEL_CALL;
        if (!(add.channels & channel)) {
            fprintf(stderr, "phonemfa-setup: %s\n",
                    channel == CHANNEL_TEXT ? T_(catalogue, "this phone cannot take a text")
                                            : T_(catalogue, "this phone cannot take a call"));
            return SETUP_USAGE;
        }
        int proven = setup_prove_possession(context, &add.number, channel);
        if (proven != SETUP_OK)
            return proven;
        add.verified_by = channel == CHANNEL_TEXT ? VERIFIED_BY_TEXT : VERIFIED_BY_CALL;
    }
    int result = setup_edit_record(context, setup_apply_phone, &add);
    if (result == SETUP_OK) {
        char masked[PHONE_MASK_MAX];
        const char *verified = add.verified_by == VERIFIED_NONE ? "none"
                               : add.verified_by == VERIFIED_BY_TEXT ? "text" : "call";
        char detail[32];
        (void)snprintf(detail, sizeof detail, "verified_by=%s", verified);
        setup_log_change(context, "add", request->slot, &add.number, detail);
        phone_mask(&add.number, masked, sizeof masked);
        if (add.verified_by == VERIFIED_NONE)
            /* TRANSLATORS: the first %s is a user name, the second a phone's
             * name ("alternate phone"), the third a masked number such as
             * "+X XXXXXXXX17" (keep it as is), the fourth its channels as
             * the command line names them ("text, call"). */
            printf(T_(catalogue, "%s: %s set to %s (%s, NOT VERIFIED)\n"), context->user,
                   setup_slot_label(catalogue, add.slot), masked, channels_text(add.channels));
        else if (add.verified_by == VERIFIED_BY_TEXT)
            /* TRANSLATORS: as "%s: %s set to %s (%s, NOT VERIFIED)". */
            printf(T_(catalogue, "%s: %s set to %s (%s, verified by text)\n"), context->user,
                   setup_slot_label(catalogue, add.slot), masked, channels_text(add.channels));
        else
            /* TRANSLATORS: as "%s: %s set to %s (%s, NOT VERIFIED)". */
            printf(T_(catalogue, "%s: %s set to %s (%s, verified by call)\n"), context->user,
                   setup_slot_label(catalogue, add.slot), masked, channels_text(add.channels));
    }
    return result;
}

int setup_apply_remove(const struct setup_context *context, struct phone_record *record, bool *exists, void *argument)
{
    enum phone_slot slot = *(enum phone_slot *)argument;

    if (!record->phones[slot].present) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: the first %s is a user name, the second a phone's
         * name ("alternate phone"). */
        fprintf(stderr, T_(context->catalogue, "%s has no %s\n"), context->user,
                setup_slot_label(context->catalogue, slot));
        return SETUP_REFUSED;
    }
    record->phones[slot].present = false;
    if (record->has_preferred && record->preferred_slot == slot)
        record->has_preferred = false;
    bool any = false;
    for (int s = 0; s < SLOT_COUNT; s++)
        any = any || record->phones[s].present;
    *exists = any; /* the last phone removed: the user is no longer enrolled */
    return SETUP_OK;
}

int setup_apply_confirmed_remove(const struct setup_context *context, struct phone_record *record, bool *exists,
                                  void *argument)
{
    struct setup_confirmed_remove *remove = argument;
    const struct phone_entry *entry = &record->phones[remove->slot];

    if (entry->present && (strcmp(entry->number.e164, remove->number.e164) != 0 ||
                           strcmp(entry->number.extension, remove->number.extension) != 0)) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: the first %s is a user name, the second a phone's
         * name ("alternate phone"). */
        fprintf(stderr, T_(context->catalogue, "%s's %s was changed meanwhile; nothing was removed\n"),
                context->user, setup_slot_label(context->catalogue, remove->slot));
        return SETUP_REFUSED;
    }
    return setup_apply_remove(context, record, exists, &remove->slot);
}

/* Removing a phone can lock a user out: asked first, unless --yes; with no
 * terminal to ask on, refused rather than assumed. */
int setup_confirm_remove(const struct setup_context *context, enum phone_slot slot, const struct phone_number *number)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    char prompt[512], answer[INPUT_MAX], masked[PHONE_MASK_MAX];

    if (!context->interactive) {
        fprintf(stderr, "phonemfa-setup: %s\n",
                T_(catalogue, "removing a phone asks for confirmation on a terminal; without one, add --yes; "
                              "nothing was removed"));
        return SETUP_REFUSED;
    }
    phone_mask(number, masked, sizeof masked);
    /* TRANSLATORS: a prompt; the first %s is a phone's name ("alternate
     * phone"), the second a masked number such as "+X XXXXXXXX19" (keep it
     * as is), the third a user name. The answer is y or your word for yes. */
    (void)snprintf(prompt, sizeof prompt, T_(catalogue, "Remove the %s %s of %s? [y/N] "),
                   setup_slot_label(catalogue, slot), masked, context->user);
    int read = setup_read_line(prompt, false, answer, sizeof answer);
    if (read == 0 && i18n_answer_is_yes(catalogue, answer))
        return SETUP_OK;
    printf("%s\n", T_(catalogue, "Nothing was removed."));
    return SETUP_REFUSED;
}

int setup_remove(const struct setup_context *context, const char *slot_name, bool yes)
{
    struct setup_confirmed_remove remove;
    struct directory_error error = {{0}};
    struct phone_record record;
    char masked[PHONE_MASK_MAX];

    if (!slot_from_argument(context, slot_name, &remove.slot))
        return SETUP_USAGE;
    enum directory_result read = phone_directory_read(context->directory, context->user, &record, &error);
    if (read == DIRECTORY_FAILED || read == DIRECTORY_UNAVAILABLE) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        if (read == DIRECTORY_FAILED && context->config->directory == DIRECTORY_FILES)
            fprintf(stderr, "phonemfa-setup: %s\n",
                    T_(context->catalogue, "a record that cannot be read is replaced as a whole by reset"));
        return SETUP_BROKEN;
    }
    if (read != DIRECTORY_FOUND || !record.phones[remove.slot].present) {
        fputs("phonemfa-setup: ", stderr);
        fprintf(stderr, T_(context->catalogue, "%s has no %s\n"), context->user,
                setup_slot_label(context->catalogue, remove.slot));
        return SETUP_REFUSED;
    }
    remove.number = record.phones[remove.slot].number;
    phone_mask(&remove.number, masked, sizeof masked);
    /* A slot phonemfa may not change is refused by the edit, with who
     * manages it: nothing to confirm first. */
    bool writable = (phone_directory_writable_slots(context->directory) & (1u << remove.slot)) != 0;
    int result = yes || !writable ? SETUP_OK : setup_confirm_remove(context, remove.slot, &remove.number);
    if (result == SETUP_OK)
        result = setup_edit_record(context, setup_apply_confirmed_remove, &remove);
    if (result == SETUP_OK) {
        setup_log_change(context, "remove", slot_name, &remove.number, NULL);
        /* TRANSLATORS: the first %s is a user name, the second a phone's
         * name ("alternate phone"), the third a masked number such as
         * "+X XXXXXXXX19" (keep it as is). */
        printf(T_(context->catalogue, "%s: %s %s removed\n"), context->user,
               setup_slot_label(context->catalogue, remove.slot), masked);
    }
    return result;
}

int setup_apply_preferred(const struct setup_context *context, struct phone_record *record, bool *exists,
                           void *argument)
{
    struct preferred_change *preferred = argument;

    if (!*exists || !record->phones[preferred->slot].present ||
        !(record->phones[preferred->slot].channels & preferred->channel)) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: the first %s is a user name, the second a phone's
         * name ("alternate phone"). */
        fprintf(stderr, preferred->channel == CHANNEL_TEXT ? T_(context->catalogue, "%s has no %s that takes a text\n")
                        /* TRANSLATORS: as "%s has no %s that takes a text". */
                                                           : T_(context->catalogue, "%s has no %s that takes a call\n"),
                context->user, setup_slot_label(context->catalogue, preferred->slot));
        return SETUP_REFUSED;
    }
    record->has_preferred = true;
    record->preferred_slot = preferred->slot;
    record->preferred_channel = preferred->channel;
    return SETUP_OK;
}

int setup_preferred(const struct setup_context *context, const char *slot_name, const char *channel)
{
    struct preferred_change preferred;

    if (!slot_from_argument(context, slot_name, &preferred.slot))
        return SETUP_USAGE;
    if (strcmp(channel, "text") != 0 && strcmp(channel, "call") != 0) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is what was typed; text and call are typed as they
         * are (keep them). */
        fprintf(stderr, T_(context->catalogue, "'%s' is not a channel: text or call\n"), channel);
        return SETUP_USAGE;
    }
    preferred.channel = strcmp(channel, "text") == 0 ? CHANNEL_TEXT : CHANNEL_CALL;
    int result = setup_edit_record(context, setup_apply_preferred, &preferred);
    if (result == SETUP_OK)
        setup_log_change(context, "preferred", slot_name, NULL, channel[0] == 't' ? "channel=text" : "channel=call");
    return result;
}

/* -- state ---------------------------------------------------------------------- */

static int clear_lockout(struct user_state *state, void *context)
{
    (void)context;
    state->locked_until = 0;
    state->failure_count = 0;
    return 0;
}

int setup_clear_remembered(struct user_state *state, void *context)
{
    (void)context;
    state->remembered_count = 0;
    return 0;
}

int setup_update_state(const struct setup_context *context, int (*change)(struct user_state *, void *))
{
    struct record_dir state;
    struct record_dir_error error;

    if (open_state(context, &state) != 0)
        return SETUP_BROKEN;
    int rc = user_state_update(&state, context->user, change, NULL, &error);
    record_dir_close(&state);
    if (rc != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return SETUP_BROKEN;
    }
    return SETUP_OK;
}

int setup_lockout(const struct setup_context *context, bool clear)
{
    if (!clear)
        return setup_list(context, false);
    int result = setup_update_state(context, clear_lockout);
    if (result == SETUP_OK) {
        setup_log_change(context, "unlock", NULL, NULL, NULL);
        /* TRANSLATORS: %s is a user name. */
        printf(T_(context->catalogue, "%s: lockout cleared\n"), context->user);
    }
    return result;
}

int setup_forget(const struct setup_context *context)
{
    int result = setup_update_state(context, setup_clear_remembered);
    if (result == SETUP_OK) {
        setup_log_change(context, "forget", NULL, NULL, NULL);
        /* TRANSLATORS: %s is a user name. */
        printf(T_(context->catalogue, "%s: remembered logins forgotten\n"), context->user);
    }
    return result;
}

static int apply_reset(const struct setup_context *context, struct phone_record *record, bool *exists, void *argument)
{
    (void)context;
    (void)argument;
    memset(record, 0, sizeof *record);
    *exists = false;
    return SETUP_OK;
}

/* A local record that cannot be read (check: "fixed or rewritten") is
 * removed whole, under the user's lock: an edit would have to read it
 * first. *removed says whether it was such a record. */
static int remove_damaged_record(const struct setup_context *context, bool *removed)
{
    struct phone_store store;
    struct store_error error;
    struct phone_record record;
    int result = SETUP_BROKEN;

    *removed = false;
    if (context->config->directory != DIRECTORY_FILES)
        return SETUP_OK;
    if (phone_store_open(context->config->store_directory, &store, &error) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return SETUP_BROKEN;
    }
    int lock = phone_store_lock(&store, context->user, &error);
    if (lock >= 0 && phone_store_read(&store, context->user, &record, &error) != STORE_ERROR) {
        result = SETUP_OK;
    } else if (lock >= 0) {
        fprintf(stderr, "phonemfa-setup: %s\nphonemfa-setup: %s\n", error.message,
                T_(context->catalogue, "the record cannot be read; it is replaced"));
        *removed = phone_store_remove_locked(&store, context->user, &error) == 0;
        result = *removed ? SETUP_OK : SETUP_BROKEN;
    }
    if (result != SETUP_OK)
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
    phone_store_unlock(lock);
    phone_store_close(&store);
    return result;
}

int setup_reset(const struct setup_context *context)
{
    bool damaged = false;
    int result = remove_damaged_record(context, &damaged);
    if (result == SETUP_OK && !damaged)
        result = setup_edit_record(context, apply_reset, NULL);
    if (result != SETUP_OK)
        return result;
    if (access(context->config->state_directory, F_OK) == 0) {
        struct record_dir state;
        struct record_dir_error error;
        if (open_state(context, &state) != 0)
            return SETUP_BROKEN;
        int lock = record_dir_lock(&state, context->user, &error);
        int rc = lock < 0 ? -1 : record_dir_remove_locked(&state, context->user, ".state", &error);
        record_dir_unlock(lock);
        record_dir_close(&state);
        if (rc != 0) {
            fprintf(stderr, "phonemfa-setup: %s\n", error.message);
            return SETUP_BROKEN;
        }
    }
    setup_log_change(context, "reset", NULL, NULL, damaged ? "record=unreadable" : NULL);
    if (context->user_unknown)
        /* TRANSLATORS: %s is a user name. */
        printf(T_(context->catalogue, "%s: all phones and state removed (there is no such user: it was an orphan "
                                      "record)\n"),
               context->user);
    else
        /* TRANSLATORS: %s is a user name. */
        printf(T_(context->catalogue, "%s: all phones and state removed\n"), context->user);
    return SETUP_OK;
}

/* -- check ------------------------------------------------------------------------ */

/* check's report: a status word in a column of its own (ok, PROBLEM, note:
 * English in every language, for whoever greps the report), then what it
 * is about, translated. A second line is indented under the first. */
#define CHECK_OK "ok       "
#define CHECK_PROBLEM "PROBLEM  "
#define CHECK_NOTE "note     "

/* Phones the login policy would not offer: a PROBLEM each, so a policy
 * change that strands users is seen before they are. */
static unsigned check_phones_allowed(const struct i18n_catalogue *catalogue, const struct phonemfa_config *config,
                                     const char *user, const struct phone_record *record)
{
    unsigned problems = 0;

    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        const struct phone_entry *entry = &record->phones[slot];
        char masked[PHONE_MASK_MAX];
        if (!entry->present)
            continue;
        phone_mask(&entry->number, masked, sizeof masked);
        if (!policy_phone_allowed(config, &entry->number)) {
            fputs(CHECK_PROBLEM, stdout);
            /* TRANSLATORS: check's report: a user name, a slot (primary,
             * alternate, office: as the command line names it), a masked
             * number such as "+X XXXXXXXX17" (keep it as is) and its country
             * calling code; limits.countries is a setting. Keep the nine
             * spaces that indent the second line. */
            printf(T_(catalogue, "%s %s %s: country code %u is not in limits.countries\n"
                                 "         This phone is not offered at login.\n"),
                   user, phone_slot_name((enum phone_slot)slot), masked, phone_country_code(&entry->number));
            problems++;
        } else if ((entry->channels & config->allowed_channels) == 0) {
            fputs(CHECK_PROBLEM, stdout);
            /* TRANSLATORS: as "%s %s %s: country code %u is not in
             * limits.countries"; limits.channels is a setting. */
            printf(T_(catalogue, "%s %s %s: none of its channels is in limits.channels\n"
                                 "         This phone is not offered at login.\n"),
                   user, phone_slot_name((enum phone_slot)slot), masked);
            problems++;
        }
    }
    return problems;
}

/* Temp files left by writers that were killed mid-write (".alice.json.tmp"):
 * harmless, and the user's next write removes each; said so it is known. */
static void report_stale_temp_files(const struct i18n_catalogue *catalogue, const char *path)
{
    unsigned count = 0;
    DIR *dir = opendir(path);

    for (struct dirent *entry; dir != NULL && (entry = readdir(dir)) != NULL;) {
        size_t length = strlen(entry->d_name);
        count += entry->d_name[0] == '.' && length > 4 && strcmp(entry->d_name + length - 4, ".tmp") == 0;
    }
    if (dir != NULL)
        closedir(dir);
    if (count > 0) {
        fputs(CHECK_NOTE, stdout);
        /* TRANSLATORS: check's report: %s is a directory, %u a number of
         * files. */
        printf(TP_(catalogue, "%s: %u temp file left by interrupted writes; the user's next change removes each\n",
                   "%s: %u temp files left by interrupted writes; the user's next change removes each\n", count),
               path, count);
    }
}

struct store_check {
    const struct phonemfa_config *config;
    const struct i18n_catalogue *catalogue;
    struct phone_store store;
    unsigned problems, records;
};

/* A record of a user NSS does not know: nobody logs in with it now, but an
 * account made later under that name would inherit its phones. */
static unsigned check_owner(const struct i18n_catalogue *catalogue, const char *store_directory, const char *user)
{
    char error[NSS_ERROR_MAX] = "";

    switch (setup_user_exists(user, error, sizeof error)) {
    case USER_EXISTS:
        return 0;
    case USER_OTHER_SPELLING:
        /* Not "--user NAME reset": --user is canonicalised as a login is,
         * so that would reset the real user's own record instead. */
        fputs(CHECK_PROBLEM, stdout);
        /* TRANSLATORS: check's report: the first and last %s are a user
         * name, the second a directory (a path); keep the command and the
         * nine spaces that indent the second line. */
        printf(T_(catalogue, "%s: the user lookup spells this user differently; logins never read this record\n"
                             "         Delete the file %s/%s.json (phonemfa-setup --user %s would act on the "
                             "user's own record, as a login does).\n"),
               user, store_directory, user, user);
        return 1;
    case USER_MISSING:
        fputs(CHECK_PROBLEM, stdout);
        /* TRANSLATORS: check's report: %s is a user name (twice); keep the
         * command and the nine spaces that indent the second line. */
        printf(T_(catalogue, "%s: a record for a user that does not exist (an orphan)\n"
                             "         An account made later with this name would get its phones: remove it with "
                             "phonemfa-setup --user %s reset.\n"),
               user, user);
        return 1;
    case USER_LOOKUP_FAILED:
        break;
    }
    fputs(CHECK_PROBLEM, stdout);
    /* TRANSLATORS: check's report: a user name, then the lookup's technical
     * reason (not translated). */
    printf(T_(catalogue, "%s: %s\n         Whether this user exists is unknown until the user lookup answers.\n"), user,
           error);
    return 1;
}

static void check_record(const char *user, void *argument)
{
    struct store_check *check = argument;
    struct phone_record record;
    struct store_error error;

    check->records++;
    if (phone_store_read(&check->store, user, &record, &error) == STORE_ERROR) {
        fputs(CHECK_PROBLEM, stdout);
        /* TRANSLATORS: check's report: the first %s is the technical reason
         * (not translated), the second a user name; keep the command. */
        printf(T_(check->catalogue, "%s\n         This user cannot log in until the record is fixed or rewritten: "
                                    "phonemfa-setup --user %s reset replaces it.\n"),
               error.message, user);
        check->problems++;
        return;
    }
    check->problems += check_phones_allowed(check->catalogue, check->config, user, &record);
    check->problems += check_owner(check->catalogue, check->config->store_directory, user);
}

static unsigned check_store(const struct i18n_catalogue *catalogue, const struct phonemfa_config *config)
{
    struct store_check check = {.config = config, .catalogue = catalogue};
    struct store_error error;

    if (phone_store_open(config->store_directory, &check.store, &error) != 0) {
        fputs(CHECK_PROBLEM, stdout);
        /* TRANSLATORS: check's report: %s is the technical reason (not
         * translated). */
        printf(T_(catalogue, "%s\n         The phone store must be a directory owned by root and not writable by "
                             "group or others (mode 0700).\n"),
               error.message);
        return 1;
    }
    if (setup_each_record(config->store_directory, check_record, &check) != 0) {
        fputs(CHECK_PROBLEM, stdout);
        /* TRANSLATORS: check's report: %s is a directory (a path). */
        printf(T_(catalogue, "%s cannot be listed\n"), config->store_directory);
        check.problems++;
    }
    phone_store_close(&check.store);
    if (check.problems == 0) {
        fputs(CHECK_OK, stdout);
        /* TRANSLATORS: check's report: %s is a directory (a path), %u a
         * number of records. */
        printf(TP_(catalogue, "phone store %s: %u record, all valid\n", "phone store %s: %u records, all valid\n",
                   check.records),
               config->store_directory, check.records);
    }
    report_stale_temp_files(catalogue, config->store_directory);
    return check.problems;
}

/* A lookup of a user nobody is: it needs the directory reachable, its
 * certificate trusted and phonemfa's credentials accepted. */
static unsigned check_directory(const struct i18n_catalogue *catalogue, const struct phonemfa_config *config,
                                const struct log_sink *log)
{
    struct directory_error error = {{0}};
    struct phone_record record;
    struct phone_directory *directory = phone_directory_new(config, NULL, log, &error);
    enum directory_result read = DIRECTORY_FAILED;

    if (directory != NULL)
        read = phone_directory_read(directory, "phonemfa-check.nobody", &record, &error);
    if (read == DIRECTORY_FOUND || read == DIRECTORY_NOT_ENROLLED) {
        fputs(CHECK_OK, stdout);
        /* TRANSLATORS: check's report: %s is where the phones are (a
         * directory service's name). */
        printf(phone_directory_writable_slots(directory) == 0
                   ? T_(catalogue, "phones in %s: reachable, certificate and credentials accepted; phonemfa-setup "
                                   "may change no phone (read-only)\n")
                   /* TRANSLATORS: as "phones in %s: reachable, ... (read-only)". */
                   : T_(catalogue, "phones in %s: reachable, certificate and credentials accepted; phonemfa-setup "
                                   "may change phones there\n"),
               phone_directory_where(directory));
    } else {
        fputs(CHECK_PROBLEM, stdout);
        /* TRANSLATORS: check's report: the technical reason (not
         * translated), then what it means. */
        printf(T_(catalogue, "phone directory: %s\n         %s\n"), error.message,
               read == DIRECTORY_UNAVAILABLE
                   ? T_(catalogue, "Logins follow login.failmode while it does not answer: check the URIs, the "
                                   "network path and the CA file.")
                   : T_(catalogue, "Every login through pam_phonemfa is denied until this is fixed."));
    }
    phone_directory_free(directory);
    return read == DIRECTORY_FOUND || read == DIRECTORY_NOT_ENROLLED ? 0 : 1;
}

/* The catalogue of the administrator running check (as for every command),
 * into *catalogue, and its language into language. One that cannot be read
 * is a PROBLEM of its own, said in English: the logins of everyone in that
 * language are refused. 1 then, else 0. */
static unsigned check_translations(const struct phonemfa_config *config, const char *actor,
                                   const struct log_sink *log, struct i18n_catalogue **catalogue,
                                   struct i18n_error *error, char language[I18N_TAG_MAX])
{
    struct directory_error directory_error = {{0}};
    struct phone_directory *directory = phone_directory_new(config, NULL, log, &directory_error);
    char own[I18N_TAG_MAX] = "";

    *catalogue = NULL;
    if (directory != NULL)
        setup_chosen_language(directory, actor, own);
    phone_directory_free(directory);
    const char *picked = i18n_pick_language(own, config->locale);
    (void)snprintf(language, I18N_TAG_MAX, "%s", picked != NULL ? picked : "en");
    return i18n_catalogue_load(config->translations_directory, picked, catalogue, error) != 0;
}

int setup_check(const char *config_path, const char *actor, const struct log_sink *log)
{
    struct phonemfa_config *config = NULL;
    struct config_error error;
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error translation_error;
    char language[I18N_TAG_MAX];
    unsigned problems = 0;

    if (config_load(config_path, &config, &error) != 0) {
        /* Before the configuration, no language is known: English. */
        printf(CHECK_PROBLEM "%s\n         Every login through pam_phonemfa is denied until this is fixed; "
                             "see phonemfa.conf(5).\n",
               error.message);
        return SETUP_BROKEN;
    }
    unsigned untranslated = check_translations(config, actor, log, &catalogue, &translation_error, language);
    fputs(CHECK_OK, stdout);
    /* TRANSLATORS: check's report: %s is a file (a path). */
    printf(T_(catalogue, "configuration %s\n"), config_path);
    if (untranslated != 0) {
        printf(CHECK_PROBLEM "translations for %s: %s\n         Every login in that language is refused until "
                             "this is fixed.\n",
               language, translation_error.message);
        problems++;
    }
    problems += config->directory == DIRECTORY_FILES ? check_store(catalogue, config)
                                                     : check_directory(catalogue, config, log);
    if (policy_uses_state(config)) {
        struct record_dir state;
        struct record_dir_error state_error;
        if (access(config->state_directory, F_OK) != 0) {
            fputs(CHECK_OK, stdout);
            /* TRANSLATORS: check's report: %s is a directory (a path). */
            printf(T_(catalogue, "state directory %s: not made yet; the module makes it (root, 0700) at the first "
                                 "login\n"),
                   config->state_directory);
        } else if (record_dir_open(config->state_directory, "state directory", &state, &state_error) != 0) {
            fputs(CHECK_PROBLEM, stdout);
            /* TRANSLATORS: check's report: %s is the technical reason (not
             * translated). */
            printf(T_(catalogue, "%s\n         Lockout, send limits and remembered logins need it: it must be "
                                 "owned by root, mode 0700.\n"),
                   state_error.message);
            problems++;
        } else {
            fputs(CHECK_OK, stdout);
            /* TRANSLATORS: check's report: %s is a directory (a path). */
            printf(T_(catalogue, "state directory %s\n"), config->state_directory);
            record_dir_close(&state);
            report_stale_temp_files(catalogue, config->state_directory);
        }
    }
    struct verify_client *client = verify_client_new(config, NULL, log);
    for (size_t server = 0; client != NULL && server < config->url_count; server++) {
        struct verify_failure failure;
        if (verify_service_status(client, server, &failure) == 0) {
            fputs(CHECK_OK, stdout);
            /* TRANSLATORS: check's report: %s is the service's URL. */
            printf(T_(catalogue, "service %s: reachable, certificate and credentials accepted\n"),
                   config->urls[server]);
        } else {
            fputs(CHECK_PROBLEM, stdout);
            /* TRANSLATORS: check's report: the service's URL, the technical
             * reason (not translated), then what to do. */
            printf(T_(catalogue, "service %s: %s\n         %s\n"), config->urls[server], failure.detail,
                   failure.kind == VERIFY_AUTH_FAILED
                       ? T_(catalogue, "The service refused the credentials: check token_file (and the twilio "
                                       "SIDs).")
                   : failure.kind == VERIFY_UNAVAILABLE
                       ? T_(catalogue, "Check the URL, the network path and, for certificate errors, ca_file.")
                       : T_(catalogue, "The service answered, but not as expected."));
            problems++;
        }
    }
    if (client == NULL)
        problems++;
    verify_client_free(client);
    /* TRANSLATORS: the last line of check's report. */
    printf(TP_(catalogue, "%u problem found\n", "%u problems found\n", problems), problems);
    i18n_catalogue_free(catalogue);
    config_free(config);
    return problems == 0 ? SETUP_OK : SETUP_BROKEN;
}
