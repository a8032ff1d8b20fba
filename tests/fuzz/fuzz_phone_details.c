/* The phonemfa schema's detail and preferred-method values, as an LDAP
 * directory holds them (ldap.details). Oracles: a detail applies only to
 * a phone the record holds, never gives the office phone texts, and what
 * it applied formats back to a value that parses to the same; a preferred
 * method is one the record's phone takes. */
#include "fuzz_helpers.h"

#include "phone_details.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    struct phone_record record;
    const char *why = NULL;

    memset(&record, 0, sizeof record);
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        record.phones[slot].present = slot != SLOT_ALTERNATE || (size & 1);
        record.phones[slot].channels = slot == SLOT_OFFICE ? CHANNEL_CALL : CHANNEL_TEXT | CHANNEL_CALL;
        (void)phone_from_e164("+15555550117", NULL, &record.phones[slot].number);
    }
    struct phone_record before = record;
    if (phone_detail_parse(text, &record, &why)) {
        for (int slot = 0; slot < SLOT_COUNT; slot++) {
            FUZZ_ASSERT(record.phones[slot].present == before.phones[slot].present);
            FUZZ_ASSERT(slot != SLOT_OFFICE || record.phones[slot].channels == CHANNEL_CALL);
            if (memcmp(&record.phones[slot], &before.phones[slot], sizeof before.phones[slot]) == 0)
                continue;
            char again[PHONE_DETAIL_MAX];
            struct phone_record copy = before;
            FUZZ_ASSERT(phone_detail_format(&record, (enum phone_slot)slot, again, sizeof again));
            FUZZ_ASSERT(phone_detail_parse(again, &copy, &why));
            FUZZ_ASSERT(memcmp(&copy.phones[slot], &record.phones[slot], sizeof copy.phones[slot]) == 0);
        }
    } else {
        FUZZ_ASSERT(why != NULL);
        fuzz_assert_printable(why);
    }
    record = before;
    if (phone_preferred_parse(text, &record, &why)) {
        FUZZ_ASSERT(record.has_preferred && record.phones[record.preferred_slot].present &&
                    (record.phones[record.preferred_slot].channels & record.preferred_channel));
    }
    free(text);
    return 0;
}
