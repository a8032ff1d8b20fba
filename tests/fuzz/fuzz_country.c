/* The country picker's search over what a person types at the country
 * question: any bytes. Oracles: every match is a row of the table, listed
 * once, in the order promised (the default country first when it matches;
 * a calling code matches only its own countries); the count is whole even
 * when matches is short; the text echoed back holds no control character
 * and never grows. */
#include "fuzz_helpers.h"

#include "country.h"
#include "country_table.h"

static const unsigned default_codes[] = {0, 1, 7, 33, 44, 81, 82, 850, 882, 999};

static bool in_table(const struct country *country)
{
    for (size_t i = 0; i < country_count(); i++)
        if (country_at(i) == country)
            return true;
    return false;
}

/* Well-formed UTF-8, no C0, DEL or C1 control. */
static void assert_clean(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0';) {
        FUZZ_ASSERT(*p >= 0x20 && *p != 0x7f);
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t more = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : 1;
        FUZZ_ASSERT(*p >= 0xc2 && *p <= 0xf4);
        FUZZ_ASSERT(!(p[0] == 0xc2 && p[1] < 0xa0)); /* C1 */
        for (size_t k = 1; k <= more; k++)
            FUZZ_ASSERT((p[k] & 0xc0) == 0x80);
        p += more + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned default_code = default_codes[data[0] % (sizeof default_codes / sizeof default_codes[0])];
    char *query = fuzz_string(data + 1, size - 1);
    const struct country *matches[COUNTRY_TABLE_MAX];
    const struct country *few[3];

    size_t count = country_search(NULL, query, default_code, matches, COUNTRY_TABLE_MAX);
    FUZZ_ASSERT(count <= country_count());
    for (size_t i = 0; i < count; i++) {
        FUZZ_ASSERT(in_table(matches[i]));
        for (size_t j = i + 1; j < count; j++)
            FUZZ_ASSERT(matches[i] != matches[j]);
    }
    const struct country *default_country = country_by_code(default_code);
    for (size_t i = 1; i < count; i++)
        FUZZ_ASSERT(matches[i] != default_country);
    unsigned code = country_query_code(query);
    FUZZ_ASSERT(code < 1000);
    if (code != 0)
        for (size_t i = 0; i < count; i++)
            FUZZ_ASSERT(matches[i]->code == code);
    FUZZ_ASSERT(country_search(NULL, query, default_code, few, 3) == count);
    for (size_t i = 0; i < count && i < 3; i++)
        FUZZ_ASSERT(few[i] == matches[i]);

    char echo[COUNTRY_QUERY_MAX + 1];
    country_clean_echo(query, echo, sizeof echo);
    FUZZ_ASSERT(strlen(echo) <= strlen(query));
    assert_clean(echo);
    for (size_t i = 0; i < count && i < 3; i++) {
        char shown[COUNTRY_DISPLAY_MAX];
        country_display(NULL, matches[i], shown, sizeof shown);
        assert_clean(shown);
    }
    free(query);
    return 0;
}
