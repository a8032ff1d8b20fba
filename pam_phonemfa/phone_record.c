#include "phone_record.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *const slot_names[SLOT_COUNT] = {"primary", "alternate", "office"};

const char *phone_slot_name(enum phone_slot slot)
{
    return (slot < SLOT_COUNT) ? slot_names[slot] : "?";
}

bool phone_slot_from_name(const char *name, enum phone_slot *slot)
{
    for (int i = 0; i < SLOT_COUNT; i++) {
        if (strcmp(name, slot_names[i]) == 0) {
            *slot = (enum phone_slot)i;
            return true;
        }
    }
    return false;
}

const char *phone_channel_name(enum phone_channel channel)
{
    return channel == CHANNEL_TEXT ? "text" : channel == CHANNEL_CALL ? "call" : "?";
}

static bool channel_from_name(const char *name, enum phone_channel *channel)
{
    if (strcmp(name, "text") == 0)
        *channel = CHANNEL_TEXT;
    else if (strcmp(name, "call") == 0)
        *channel = CHANNEL_CALL;
    else
        return false;
    return true;
}

static int set_error(struct phone_record_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int set_error(struct phone_record_error *error, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    (void)vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    /* Messages quote names from the file; they go to logs and terminals. */
    log_sanitize_service_text(error->message);
    return -1;
}

bool phone_record_parse_time(const char *text, time_t *out)
{
    int year, month, day, hour, minute, second;
    char zulu = 0;
    int consumed = 0;

    if (strlen(text) != 20)
        return false;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &year, &month, &day, &hour, &minute, &second,
               &zulu, &consumed) != 7 || consumed != 20 || zulu != 'Z')
        return false;
    /* From the epoch: a box whose clock read 1970 before NTP wrote these
     * times, and must read them back. */
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 ||
        hour > 23 || minute > 59 || second > 60 || hour < 0 || minute < 0 || second < 0)
        return false;
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
                    .tm_hour = hour, .tm_min = minute, .tm_sec = second};
    time_t when = timegm(&tm);
    char check[21];
    phone_record_format_time(when, check);
    if (strcmp(check, text) != 0) /* rejects 31 February and the like */
        return false;
    *out = when;
    return true;
}

void phone_record_format_time(time_t when, char out[21])
{
    struct tm tm;

    if (gmtime_r(&when, &tm) == NULL || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        (void)snprintf(out, 21, "1970-01-01T00:00:00Z");
}

static const char *verified_names[] = {"text", "call", "none"};

static int parse_channels(const json_t *array, unsigned *channels, const char *slot,
                          struct phone_record_error *error)
{
    size_t index;
    const json_t *value;

    if (!json_is_array(array) || json_array_size(array) == 0 || json_array_size(array) > 2)
        return set_error(error, "phones.%s.channels: must be a list of \"text\"/\"call\"", slot);
    *channels = 0;
    json_array_foreach(array, index, value) {
        enum phone_channel channel;
        if (!json_is_string(value) || !channel_from_name(json_string_value(value), &channel))
            return set_error(error, "phones.%s.channels: unknown channel", slot);
        if (*channels & channel)
            return set_error(error, "phones.%s.channels: channel listed twice", slot);
        *channels |= channel;
    }
    return 0;
}

static int parse_time_field(const json_t *object, const char *key, time_t *out, const char *slot,
                            struct phone_record_error *error)
{
    const json_t *value = json_object_get(object, key);

    if (!json_is_string(value) || !phone_record_parse_time(json_string_value(value), out)) {
        set_error(error, "phones.%s.%s: must be a UTC time like ", slot, key);
        /* After set_error's sanitiser, which masks the example's 8 digits as a phone number. */
        size_t used = strlen(error->message);
        (void)snprintf(error->message + used, sizeof error->message - used, "2026-01-31T12:00:00Z");
        return -1;
    }
    return 0;
}

static int parse_phone(const json_t *object, enum phone_slot slot, struct phone_entry *entry,
                       struct phone_record_error *error)
{
    static const char *const allowed[] = {"number", "extension", "channels", "verified_by",
                                          "verified_at", "added_by", "added_at"};
    const char *name = phone_slot_name(slot);
    const char *key;
    const json_t *value;

    if (!json_is_object(object))
        return set_error(error, "phones.%s: must be an object", name);
    json_object_foreach((json_t *)object, key, value) {
        bool known = false;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            known = known || strcmp(key, allowed[i]) == 0;
        if (!known)
            return set_error(error, "phones.%s: unknown field '%.40s'", name, key);
    }

    const json_t *number = json_object_get(object, "number");
    const json_t *extension = json_object_get(object, "extension");
    if (!json_is_string(number))
        return set_error(error, "phones.%s.number: missing or not a string", name);
    if (extension != NULL && !json_is_string(extension))
        return set_error(error, "phones.%s.extension: not a string", name);
    if (phone_from_e164(json_string_value(number), extension ? json_string_value(extension) : NULL,
                        &entry->number) != PHONE_OK)
        return set_error(error, "phones.%s.number: not a valid E.164 number or extension", name);

    if (parse_channels(json_object_get(object, "channels"), &entry->channels, name, error) != 0)
        return -1;

    const json_t *verified_by = json_object_get(object, "verified_by");
    bool method_found = false;
    if (json_is_string(verified_by)) {
        for (int i = 0; i < 3; i++) {
            if (strcmp(json_string_value(verified_by), verified_names[i]) == 0) {
                entry->verified_by = (enum verified_method)i;
                method_found = true;
            }
        }
    }
    if (!method_found)
        return set_error(error, "phones.%s.verified_by: must be \"text\", \"call\" or \"none\"", name);
    const json_t *verified_at = json_object_get(object, "verified_at");
    if (entry->verified_by == VERIFIED_NONE) {
        if (verified_at != NULL && !json_is_null(verified_at))
            return set_error(error, "phones.%s.verified_at: must be null for an unverified phone", name);
        entry->verified_at = 0;
    } else if (parse_time_field(object, "verified_at", &entry->verified_at, name, error) != 0) {
        return -1;
    }

    const json_t *added_by = json_object_get(object, "added_by");
    if (!json_is_string(added_by) || !user_name_is_valid(json_string_value(added_by)))
        return set_error(error, "phones.%s.added_by: must be a user name", name);
    (void)snprintf(entry->added_by, sizeof entry->added_by, "%s", json_string_value(added_by));
    if (parse_time_field(object, "added_at", &entry->added_at, name, error) != 0)
        return -1;
    entry->present = true;
    return 0;
}

int phone_record_check(const struct phone_record *record, struct phone_record_error *error)
{
    bool any = false;

    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        const struct phone_entry *entry = &record->phones[slot];
        if (!entry->present)
            continue;
        any = true;
        const char *name = phone_slot_name((enum phone_slot)slot);
        if (entry->channels == 0 || (entry->channels & ~(unsigned)(CHANNEL_TEXT | CHANNEL_CALL)) != 0)
            return set_error(error, "phones.%s: no valid channel", name);
        if (slot == SLOT_OFFICE && entry->channels != CHANNEL_CALL)
            return set_error(error, "phones.office: an office phone takes calls only");
        if (slot != SLOT_OFFICE && entry->number.extension[0] != '\0')
            return set_error(error, "phones.%s: only the office phone may have an extension", name);
        if (entry->verified_by == VERIFIED_BY_TEXT && !(entry->channels & CHANNEL_TEXT))
            return set_error(error, "phones.%s: verified by text but cannot take texts", name);
    }
    if (!any)
        return set_error(error, "phones: no phone registered");
    if (record->language[0] != '\0' && !i18n_tag_is_valid(record->language))
        return set_error(error, "language: not a valid language tag");
    if (record->has_preferred) {
        if (record->preferred_slot >= SLOT_COUNT)
            return set_error(error, "preferred: unknown slot");
        const struct phone_entry *entry = &record->phones[record->preferred_slot];
        if (!entry->present || !(entry->channels & record->preferred_channel))
            return set_error(error, "preferred: names a phone or channel that is not registered");
    }
    return 0;
}

int phone_record_parse(const char *json, size_t length, struct phone_record *record,
                       struct phone_record_error *error)
{
    json_error_t json_error;
    const char *key;
    json_t *value;
    int result = -1;

    memset(record, 0, sizeof *record);
    if (length > PHONE_RECORD_MAX_BYTES)
        return set_error(error, "record larger than %d bytes", PHONE_RECORD_MAX_BYTES);
    json_t *root = json_loadb(json, length, JSON_REJECT_DUPLICATES, &json_error);
    if (root == NULL)
        return set_error(error, "not valid JSON (line %d: %.80s)", json_error.line, json_error.text);
    if (!json_is_object(root)) {
        set_error(error, "not a JSON object");
        goto out;
    }
    json_object_foreach(root, key, value) {
        if (strcmp(key, "version") != 0 && strcmp(key, "phones") != 0 && strcmp(key, "preferred") != 0 &&
            strcmp(key, "language") != 0) {
            set_error(error, "unknown field '%.40s'", key);
            goto out;
        }
    }
    const json_t *version = json_object_get(root, "version");
    if (!json_is_integer(version) || json_integer_value(version) != PHONE_RECORD_VERSION) {
        set_error(error, "version: must be %d", PHONE_RECORD_VERSION);
        goto out;
    }
    json_t *phones = json_object_get(root, "phones");
    if (!json_is_object(phones)) {
        set_error(error, "phones: missing or not an object");
        goto out;
    }
    json_object_foreach(phones, key, value) {
        enum phone_slot slot;
        if (!phone_slot_from_name(key, &slot)) {
            set_error(error, "phones: unknown slot '%.40s'", key);
            goto out;
        }
        if (parse_phone(value, slot, &record->phones[slot], error) != 0)
            goto out;
    }
    const json_t *preferred = json_object_get(root, "preferred");
    if (preferred != NULL && !json_is_null(preferred)) {
        const json_t *slot = json_object_get(preferred, "slot");
        const json_t *channel = json_object_get(preferred, "channel");
        if (!json_is_object(preferred) || json_object_size(preferred) != 2 || !json_is_string(slot) ||
            !json_is_string(channel) ||
            !phone_slot_from_name(json_string_value(slot), &record->preferred_slot) ||
            !channel_from_name(json_string_value(channel), &record->preferred_channel)) {
            set_error(error, "preferred: must be {\"slot\": ..., \"channel\": \"text\"|\"call\"}");
            goto out;
        }
        record->has_preferred = true;
    }
    const json_t *language = json_object_get(root, "language");
    if (language != NULL && !json_is_null(language)) {
        if (!json_is_string(language) || !i18n_tag_is_valid(json_string_value(language))) {
            set_error(error, "language: must be a language tag such as \"ja\" or \"pt-BR\"");
            goto out;
        }
        (void)snprintf(record->language, sizeof record->language, "%s", json_string_value(language));
    }
    result = phone_record_check(record, error);
out:
    json_decref(root);
    return result;
}

static json_t *serialize_phone(const struct phone_entry *entry)
{
    char added_at[21], verified_at[21];
    json_t *object = json_object();
    json_t *channels = json_array();

    /* json_object_set_new() takes the reference even when it fails. */
    if (object == NULL || channels == NULL || json_object_set_new(object, "channels", channels) != 0) {
        if (object == NULL)
            json_decref(channels);
        json_decref(object);
        return NULL;
    }
    if (((entry->channels & CHANNEL_TEXT) && json_array_append_new(channels, json_string("text")) != 0) ||
        ((entry->channels & CHANNEL_CALL) && json_array_append_new(channels, json_string("call")) != 0))
        goto fail;
    phone_record_format_time(entry->added_at, added_at);
    phone_record_format_time(entry->verified_at, verified_at);
    if (json_object_set_new(object, "number", json_string(entry->number.e164)) != 0 ||
        (entry->number.extension[0] != '\0' &&
         json_object_set_new(object, "extension", json_string(entry->number.extension)) != 0) ||
        json_object_set_new(object, "verified_by", json_string(verified_names[entry->verified_by])) != 0 ||
        json_object_set_new(object, "verified_at", entry->verified_by == VERIFIED_NONE
                                                       ? json_null()
                                                       : json_string(verified_at)) != 0 ||
        json_object_set_new(object, "added_by", json_string(entry->added_by)) != 0 ||
        json_object_set_new(object, "added_at", json_string(added_at)) != 0)
        goto fail;
    return object;
fail:
    json_decref(object);
    return NULL;
}

char *phone_record_serialize(const struct phone_record *record, struct phone_record_error *error)
{
    char *text = NULL;

    if (phone_record_check(record, error) != 0)
        return NULL;
    json_t *root = json_object();
    json_t *phones = json_object();
    if (root == NULL || phones == NULL ||
        json_object_set_new(root, "version", json_integer(PHONE_RECORD_VERSION)) != 0) {
        json_decref(phones);
        goto out;
    }
    if (json_object_set_new(root, "phones", phones) != 0)
        goto out;
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        if (!record->phones[slot].present)
            continue;
        json_t *phone = serialize_phone(&record->phones[slot]);
        if (phone == NULL || json_object_set_new(phones, slot_names[slot], phone) != 0)
            goto out;
    }
    if (record->has_preferred &&
        json_object_set_new(root, "preferred",
                            json_pack("{s:s, s:s}", "slot", slot_names[record->preferred_slot],
                                      "channel", phone_channel_name(record->preferred_channel))) != 0)
        goto out;
    if (record->language[0] != '\0' && json_object_set_new(root, "language", json_string(record->language)) != 0)
        goto out;
    text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
out:
    if (text == NULL)
        set_error(error, "out of memory while writing the record");
    json_decref(root);
    return text;
}
