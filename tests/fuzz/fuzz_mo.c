/* .mo catalogues. Oracles: a damaged file is refused or read, never
 * crashes; every lookup in a catalogue that was read returns either the
 * English text or a translation with exactly the English conversions, so
 * no catalogue can change what printf reads. */
#include "fuzz_helpers.h"

#include "i18n.h"

static const char *const KEYS[] = {"", "Text %s", "Call %s", "Choose 1-%zu [%zu]: ", "Verify your identity:", "a", "b"};

/* The conversions of a format in order, %% skipped: "%s%zu" -> "szu". */
static void conversions(const char *format, char *out, size_t size)
{
    size_t used = 0;

    for (const char *p = format; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        for (p++; *p != '\0' && used + 1 < size; p++) {
            out[used++] = *p;
            if (strchr("diouxXeEfFgGaAcspn", *p) != NULL)
                break;
        }
        if (*p == '\0')
            break;
    }
    out[used] = '\0';
}

static void same_conversions(const char *english, const char *shown)
{
    char a[64], b[64];

    conversions(english, a, sizeof a);
    conversions(shown, b, sizeof b);
    FUZZ_ASSERT(strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error error;

    if (i18n_catalogue_parse(data, size, &catalogue, &error) != 0) {
        FUZZ_ASSERT(catalogue == NULL);
        return 0;
    }
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
        same_conversions(KEYS[i], i18n_text(catalogue, KEYS[i]));
        same_conversions(KEYS[i], i18n_context_text(catalogue, "country", KEYS[i]));
        for (unsigned long n = 0; n < 3; n++)
            same_conversions(n == 1 ? "%u day" : "%u days", i18n_plural(catalogue, "%u day", "%u days", n));
    }
    i18n_catalogue_free(catalogue);
    return 0;
}
