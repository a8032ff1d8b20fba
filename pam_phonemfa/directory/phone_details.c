#include "phone_details.h"

#include <stdio.h>
#include <string.h>

#define FIELD_MAX 64

static bool channels_from_text(const char *text, unsigned *channels)
{
    *channels = strcmp(text, "text,call") == 0 ? CHANNEL_TEXT | CHANNEL_CALL
                : strcmp(text, "call") == 0    ? CHANNEL_CALL
                : strcmp(text, "text") == 0    ? CHANNEL_TEXT
                                               : 0;
    return *channels != 0;
}

static const char *channels_text(unsigned channels)
{
    return channels == (CHANNEL_TEXT | CHANNEL_CALL) ? "text,call" : channels == CHANNEL_CALL ? "call" : "text";
}

/* The next "key=value" of text at *cursor: false at the end or on a
 * malformed field (why set). */
static bool next_field(const char **cursor, char key[FIELD_MAX], char value[FIELD_MAX], const char **why)
{
    const char *p = *cursor;
    size_t length = strcspn(p, " ");
    const char *equals = memchr(p, '=', length);

    if (length == 0)
        return false;
    if (equals == NULL || equals == p || (size_t)(equals - p) >= FIELD_MAX ||
        length - (size_t)(equals - p) - 1 >= FIELD_MAX || length - (size_t)(equals - p) - 1 == 0) {
        *why = "a field that is not key=value";
        return false;
    }
    memcpy(key, p, (size_t)(equals - p));
    key[equals - p] = '\0';
    memcpy(value, equals + 1, length - (size_t)(equals - p) - 1);
    value[length - (size_t)(equals - p) - 1] = '\0';
    p += length;
    if (*p == ' ')
        p++;
    *cursor = p;
    return true;
}

enum detail_field { FIELD_SLOT, FIELD_CHANNELS, FIELD_VERIFIED_BY, FIELD_VERIFIED_AT, FIELD_ADDED_BY, FIELD_ADDED_AT,
                    FIELD_COUNT };

static const char *const field_names[FIELD_COUNT] = {"slot", "channels", "verified_by", "verified_at", "added_by",
                                                     "added_at"};

/* One field's value into found (or slot); false when it is not valid. */
static bool read_field(enum detail_field field, const char *value, enum phone_slot *slot, struct phone_entry *found)
{
    switch (field) {
    case FIELD_SLOT:
        return phone_slot_from_name(value, slot);
    case FIELD_CHANNELS:
        return channels_from_text(value, &found->channels);
    case FIELD_VERIFIED_BY:
        found->verified_by = strcmp(value, "text") == 0 ? VERIFIED_BY_TEXT
                             : strcmp(value, "call") == 0 ? VERIFIED_BY_CALL
                                                          : VERIFIED_NONE;
        return strcmp(value, "text") == 0 || strcmp(value, "call") == 0 || strcmp(value, "none") == 0;
    case FIELD_VERIFIED_AT:
        return phone_record_parse_time(value, &found->verified_at);
    case FIELD_ADDED_BY:
        if (!user_name_is_valid(value))
            return false;
        (void)snprintf(found->added_by, sizeof found->added_by, "%s", value);
        return true;
    case FIELD_ADDED_AT:
        return phone_record_parse_time(value, &found->added_at);
    case FIELD_COUNT:
        break;
    }
    return false;
}

bool phone_detail_parse(const char *text, struct phone_record *record, const char **why)
{
    char key[FIELD_MAX], value[FIELD_MAX];
    const char *cursor = text;
    enum phone_slot slot = SLOT_PRIMARY;
    struct phone_entry found = {0};
    bool seen[FIELD_COUNT] = {false};

    if (strlen(text) >= PHONE_DETAIL_MAX || strspn(text, " ") > 0) {
        *why = "too long, or not starting with a field";
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        if (*p < 0x20 || *p > 0x7e) {
            *why = "not printable ASCII";
            return false;
        }
    *why = NULL;
    while (next_field(&cursor, key, value, why)) {
        int field = 0;
        while (field < FIELD_COUNT && strcmp(key, field_names[field]) != 0)
            field++;
        if (field == FIELD_COUNT || seen[field] || !read_field((enum detail_field)field, value, &slot, &found)) {
            *why = field == FIELD_COUNT ? "an unknown field" : seen[field] ? "a field given twice"
                                                                           : "a field's value is not valid";
            return false;
        }
        seen[field] = true;
    }
    if (*why != NULL)
        return false;
    if (!seen[FIELD_SLOT] || !seen[FIELD_CHANNELS] || !seen[FIELD_VERIFIED_BY] || !seen[FIELD_ADDED_BY] ||
        !seen[FIELD_ADDED_AT] || seen[FIELD_VERIFIED_AT] != (found.verified_by != VERIFIED_NONE)) {
        *why = "a field is missing (slot, channels, verified_by, added_by, added_at; verified_at unless none)";
        return false;
    }
    struct phone_entry *phone = &record->phones[slot];
    if (!phone->present) {
        *why = "a detail of a phone the directory does not hold";
        return false;
    }
    if (slot == SLOT_OFFICE && found.channels != CHANNEL_CALL) {
        *why = "the office phone takes calls only";
        return false;
    }
    phone->channels = found.channels;
    phone->verified_by = found.verified_by;
    phone->verified_at = found.verified_at;
    phone->added_at = found.added_at;
    memcpy(phone->added_by, found.added_by, sizeof phone->added_by);
    return true;
}

bool phone_detail_format(const struct phone_record *record, enum phone_slot slot, char *out, size_t out_size)
{
    const struct phone_entry *phone = &record->phones[slot];
    char added[21], verified[21];
    static const char *const by[] = {"text", "call", "none"};

    phone_record_format_time(phone->added_at, added);
    phone_record_format_time(phone->verified_at, verified);
    int length = snprintf(out, out_size, "slot=%s channels=%s verified_by=%s%s%s added_by=%s added_at=%s",
                          phone_slot_name(slot), channels_text(phone->channels), by[phone->verified_by],
                          phone->verified_by != VERIFIED_NONE ? " verified_at=" : "",
                          phone->verified_by != VERIFIED_NONE ? verified : "",
                          phone->added_by[0] ? phone->added_by : "phonemfad", added);
    return length > 0 && (size_t)length < out_size;
}

bool phone_preferred_parse(const char *text, struct phone_record *record, const char **why)
{
    char slot_name[16], channel_name[8], extra;
    enum phone_slot slot;

    if (sscanf(text, "%15s %7s%c", slot_name, channel_name, &extra) != 2 || !phone_slot_from_name(slot_name, &slot) ||
        (strcmp(channel_name, "text") != 0 && strcmp(channel_name, "call") != 0)) {
        *why = "not \"SLOT text\" or \"SLOT call\"";
        return false;
    }
    enum phone_channel channel = channel_name[0] == 't' ? CHANNEL_TEXT : CHANNEL_CALL;
    if (!record->phones[slot].present || !(record->phones[slot].channels & channel)) {
        *why = "a method of a phone the user does not have";
        return false;
    }
    record->has_preferred = true;
    record->preferred_slot = slot;
    record->preferred_channel = channel;
    return true;
}

bool phone_preferred_format(const struct phone_record *record, char *out, size_t out_size)
{
    int length = snprintf(out, out_size, "%s %s", phone_slot_name(record->preferred_slot),
                          phone_channel_name(record->preferred_channel));
    return length > 0 && (size_t)length < out_size;
}
