/* One user's registered phones and preferred method, as kept in the phone
 * store. The JSON form is validated field by field on every read. */
#ifndef PHONEMFA_PHONE_RECORD_H
#define PHONEMFA_PHONE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "i18n.h"
#include "phone_number.h"
#include "user_name.h"

#define PHONE_RECORD_VERSION 1
#define PHONE_RECORD_MAX_BYTES (64 * 1024)
#define PHONE_RECORD_ERROR_MAX 256

enum phone_slot { SLOT_PRIMARY, SLOT_ALTERNATE, SLOT_OFFICE, SLOT_COUNT };

enum phone_channel {
    CHANNEL_TEXT = 1u << 0,
    CHANNEL_CALL = 1u << 1,
};

enum verified_method { VERIFIED_BY_TEXT, VERIFIED_BY_CALL, VERIFIED_NONE };

struct phone_entry {
    bool present;
    struct phone_number number;
    unsigned channels; /* enum phone_channel bits */
    enum verified_method verified_by;
    time_t verified_at; /* 0 when VERIFIED_NONE */
    char added_by[USER_NAME_MAX + 1];
    time_t added_at;
};

struct phone_record {
    struct phone_entry phones[SLOT_COUNT];
    bool has_preferred;
    enum phone_slot preferred_slot;
    enum phone_channel preferred_channel;
    /* The language the user reads and hears ("ja", "pt-BR"); "" for the
     * administrator's default (login.locale). */
    char language[I18N_TAG_MAX];
};

struct phone_record_error {
    char message[PHONE_RECORD_ERROR_MAX];
};

int phone_record_parse(const char *json, size_t length, struct phone_record *record,
                       struct phone_record_error *error);

/* Serialise to a newly allocated JSON string (caller frees). The record must
 * satisfy phone_record_check(). */
char *phone_record_serialize(const struct phone_record *record, struct phone_record_error *error);

/* The rules every stored record obeys (also applied before a write). */
int phone_record_check(const struct phone_record *record, struct phone_record_error *error);

const char *phone_slot_name(enum phone_slot slot);
const char *phone_channel_name(enum phone_channel channel);
bool phone_slot_from_name(const char *name, enum phone_slot *slot);

/* "2026-11-23T18:00:00Z" <-> time_t, strictly. */
bool phone_record_parse_time(const char *text, time_t *out);
void phone_record_format_time(time_t when, char out[21]);

#endif
