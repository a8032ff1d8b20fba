/* Every Entra ID token answer and Microsoft Graph phone methods answer
 * phonemfad reads. Oracles: a token fit for a header line; a phone read
 * from Graph is a valid E.164 number, the alternate and office phones
 * take calls only, a method id is hex and dashes; what reaches the log is
 * printable. */
#include "fuzz_helpers.h"

#include "entra_answers.h"
#include "secure_mem.h"

static void check_skipped(void *context, const char *type, const char *number, const char *why)
{
    (void)context;
    (void)number; /* logged through log_clean_value, which makes it printable */
    FUZZ_ASSERT(type != NULL && why != NULL);
    fuzz_assert_printable(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 400, 401, 403, 404, 429, 503};
    if (size < 1)
        return 0;
    long status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    char *body = fuzz_string(data + 1, size - 1);
    struct phone_record record;
    char ids[SLOT_COUNT][ENTRA_ID_MAX] = {{0}};
    unsigned masked = 0;

    if (entra_parse_methods("application/json", body, size - 1, &record, ids, &masked, check_skipped, NULL) == 0) {
        for (int slot = 0; slot < SLOT_COUNT; slot++) {
            const struct phone_entry *phone = &record.phones[slot];
            if (!phone->present)
                continue;
            struct phone_number check;
            FUZZ_ASSERT(phone_from_e164(phone->number.e164, phone->number.extension[0] ? phone->number.extension : NULL,
                                        &check) == PHONE_OK);
            FUZZ_ASSERT(slot == SLOT_PRIMARY || phone->channels == CHANNEL_CALL);
            FUZZ_ASSERT(ids[slot][0] != '\0' && strspn(ids[slot], "0123456789abcdefABCDEF-") == strlen(ids[slot]));
        }
    }
    char *token = NULL;
    long long lifetime = 0;
    if (entra_parse_token("application/json", body, size - 1, &token, &lifetime) == 0) {
        FUZZ_ASSERT(token[0] != '\0' && strpbrk(token, " \r\n:") == NULL && strlen(token) < ENTRA_TOKEN_MAX);
        fuzz_assert_printable(token);
        FUZZ_ASSERT(lifetime > 0 && lifetime <= 86400);
        secure_free_string(token);
    }
    struct http_response response = {.status = status, .body = body, .length = size - 1};
    (void)snprintf(response.content_type, sizeof response.content_type, "application/json");
    char why[320];
    entra_service_error(&response, why, sizeof why);
    fuzz_assert_printable(why);
    free(body);
    return 0;
}
