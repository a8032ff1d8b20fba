/* Phone numbers as users and administrators type them. Oracles: an accepted
 * number is E.164, parses again to itself (normalisation is idempotent),
 * round-trips through phone_from_e164, and its mask shows two digits; a
 * refused one's hint is printable. */
#include "fuzz_helpers.h"

#include "phone_number.h"

static const unsigned default_countries[] = {0, 1, 7, 33, 36, 39, 44, 49, 81, 375, 378, 999};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned country = default_countries[data[0] % (sizeof default_countries / sizeof default_countries[0])];
    char *input = fuzz_string(data + 1, size - 1);
    struct phone_number number, again;

    if (phone_parse(input, country, &number) == PHONE_OK) {
        FUZZ_ASSERT(number.e164[0] == '+' && number.e164[1] >= '1' && number.e164[1] <= '9');
        size_t length = strlen(number.e164);
        FUZZ_ASSERT(length >= 6 && length <= 16);
        FUZZ_ASSERT(strspn(number.e164 + 1, "0123456789") == length - 1);
        FUZZ_ASSERT(number.country_code_digits >= 1 && number.country_code_digits <= 3);
        FUZZ_ASSERT(strspn(number.extension, "0123456789") == strlen(number.extension));

        char typed[64];
        (void)snprintf(typed, sizeof typed, "%s%s%s", number.e164, number.extension[0] ? " x" : "",
                       number.extension);
        FUZZ_ASSERT(phone_parse(typed, country, &again) == PHONE_OK);
        FUZZ_ASSERT(strcmp(again.e164, number.e164) == 0 && strcmp(again.extension, number.extension) == 0);
        FUZZ_ASSERT(phone_from_e164(number.e164, number.extension[0] ? number.extension : NULL, &again) ==
                    PHONE_OK);
        FUZZ_ASSERT(strcmp(again.e164, number.e164) == 0);

        char masked[PHONE_MASK_MAX];
        phone_mask(&number, masked, sizeof masked);
        size_t digits = 0;
        for (const char *p = masked; *p != '\0'; p++)
            digits += *p >= '0' && *p <= '9';
        FUZZ_ASSERT(digits == 2);
        fuzz_assert_printable(masked);
    } else {
        /* The hint repeats what was typed back to a terminal: only ever
         * printable, and whole or nothing. */
        char hint[PHONE_HINT_MAX];
        enum phone_parse_error error = phone_parse(input, country, &number);
        if (phone_parse_hint(NULL, input, country, error, hint, sizeof hint)) {
            FUZZ_ASSERT(strncmp(hint, "If this is not a +", 18) == 0);
            fuzz_assert_printable(hint);
        } else {
            FUZZ_ASSERT(hint[0] == '\0');
        }
    }
    (void)phone_from_e164(input, NULL, &again);
    free(input);
    return 0;
}
