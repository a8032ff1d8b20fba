#include "unit_helpers.h"

#include "country.h"
#include "country_catalogue.h"
#include "country_table.h"
#include "phone_number.h"

#define MATCHES_MAX COUNTRY_TABLE_MAX

static size_t search(const struct i18n_catalogue *catalogue, const char *query, unsigned default_code,
                     const struct country **matches)
{
    return country_search(catalogue, query, default_code, matches, MATCHES_MAX);
}

static bool listed(const struct country *const *matches, size_t count, const char *iso)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(matches[i]->iso, iso) == 0)
            return true;
    return false;
}

/* Every row is usable: a valid calling code, an upper-case ISO code, a
 * name, a trunk prefix of digits; no ISO code or name twice; each calling
 * code has one country it is known for, and one trunk prefix. */
static void every_entry_is_valid_and_unique(void **state)
{
    (void)state;
    size_t count = country_count();

    assert_true(count >= 240 && count <= COUNTRY_TABLE_MAX);
    assert_null(country_at(count));
    for (size_t i = 0; i < count; i++) {
        const struct country *c = country_at(i);
        if (!phone_country_code_is_valid(c->code))
            fail_msg("%s: +%u is not a valid calling code", c->iso, c->code);
        assert_true(c->iso[0] >= 'A' && c->iso[0] <= 'Z' && c->iso[1] >= 'A' && c->iso[1] <= 'Z' && c->iso[2] == 0);
        assert_true(c->name != NULL && c->name[0] != '\0' && strlen(c->name) < COUNTRY_QUERY_MAX);
        assert_true(strspn(c->trunk, "0123456789") == strlen(c->trunk) && strlen(c->trunk) <= 2);
        assert_non_null(c->also);
        assert_ptr_equal(country_by_iso(c->iso), c);
        const struct country *main = country_by_code(c->code);
        if (main == NULL)
            fail_msg("+%u has no main country", c->code);
        assert_false(main->secondary);
        assert_string_equal(main->trunk, c->trunk);
        assert_string_equal(country_trunk_prefix(c->code), c->trunk);
        for (size_t j = i + 1; j < count; j++) {
            const struct country *d = country_at(j);
            if (strcmp(c->iso, d->iso) == 0 || strcmp(c->name, d->name) == 0)
                fail_msg("%s %s and %s %s repeat each other", c->iso, c->name, d->iso, d->name);
            if (c->code == d->code && !c->secondary && !d->secondary)
                fail_msg("+%u is known for both %s and %s", c->code, c->iso, d->iso);
        }
    }
    assert_string_equal(country_by_code(1)->iso, "US");
    assert_string_equal(country_by_code(7)->iso, "RU");
    assert_string_equal(country_by_code(44)->iso, "GB");
    assert_string_equal(country_by_code(47)->iso, "NO");
    assert_null(country_by_code(999));
    assert_string_equal(country_trunk_prefix(999), "0");
}

static void finds_by_name_code_and_iso(void **state)
{
    (void)state;
    const struct country *matches[MATCHES_MAX];
    static const char *const japan[] = {"jap", "Japan", "JAPAN", "  japan  ", "81", "+81", " + 81 ", "jp", "JP"};

    for (size_t i = 0; i < sizeof japan / sizeof japan[0]; i++) {
        size_t count = search(NULL, japan[i], 0, matches);
        if (count < 1)
            fail_msg("\"%s\" found nothing", japan[i]);
        assert_string_equal(matches[0]->iso, "JP");
    }
    assert_int_equal(search(NULL, "81", 0, matches), 1);
    assert_int_equal(search(NULL, "jap", 0, matches), 1);
    /* A code is matched whole: "8" is no country, and never Japan. */
    assert_int_equal(search(NULL, "8", 0, matches), 0);
    assert_int_equal(search(NULL, "+", 0, matches), 0);

    size_t count = search(NULL, "united", 0, matches);
    assert_true(count >= 4);
    assert_true(listed(matches, count, "US") && listed(matches, count, "GB") && listed(matches, count, "AE") &&
                listed(matches, count, "VI"));

    /* +1: the United States first among many. */
    count = search(NULL, "1", 0, matches);
    assert_true(count > 10);
    assert_string_equal(matches[0]->iso, "US");
    assert_true(listed(matches, count, "CA") && listed(matches, count, "JM"));
    for (size_t i = 0; i < count; i++)
        assert_int_equal(matches[i]->code, 1);
    count = search(NULL, "+7", 0, matches);
    assert_int_equal(count, 2);
    assert_string_equal(matches[0]->iso, "RU");
    assert_string_equal(matches[1]->iso, "KZ");

    /* Other names, and names without their accents. */
    assert_true(search(NULL, "uk", 0, matches) >= 1);
    assert_string_equal(matches[0]->iso, "GB");
    assert_true(search(NULL, "usa", 0, matches) >= 1);
    assert_string_equal(matches[0]->iso, "US");
    assert_true(search(NULL, "ivory", 0, matches) >= 1);
    assert_string_equal(matches[0]->iso, "CI");
    assert_true(search(NULL, "Côte", 0, matches) >= 1);
    assert_string_equal(matches[0]->iso, "CI");
    assert_true(search(NULL, "curacao", 0, matches) >= 1);
    assert_string_equal(matches[0]->iso, "CW");
}

/* A whole name before the names it begins, before names containing it. */
/* Latin-1 letters in any case, as names in German or French are typed:
 * "åland" finds "Åland Islands", "CURAÇAO" finds "Curaçao"; × is no letter. */
static void latin_letters_match_in_any_case(void **state)
{
    (void)state;
    const struct country *matches[MATCHES_MAX];
    static const char *const cases[][2] = {
        {"åland", "AX"}, {"ÅLAND", "AX"}, {"Åland", "AX"}, {"curaçao", "CW"}, {"CURAÇAO", "CW"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t count = search(NULL, cases[i][0], 0, matches);
        if (count < 1)
            fail_msg("\"%s\" found nothing", cases[i][0]);
        assert_string_equal(matches[0]->iso, cases[i][1]);
    }
    assert_int_equal(search(NULL, "cura\303\227ao", 0, matches), 0);
}

static void ranks_exact_then_prefix_then_part(void **state)
{
    (void)state;
    const struct country *matches[MATCHES_MAX];

    size_t count = search(NULL, "niger", 0, matches);
    assert_int_equal(count, 2);
    assert_string_equal(matches[0]->iso, "NE");
    assert_string_equal(matches[1]->iso, "NG");

    count = search(NULL, "guinea", 0, matches);
    assert_true(count >= 4);
    assert_string_equal(matches[0]->iso, "GN");
    assert_string_equal(matches[1]->iso, "GW"); /* "Guinea-Bissau" starts with it */
    assert_true(listed(matches, count, "GQ") && listed(matches, count, "PG"));

    count = search(NULL, "ind", 0, matches);
    assert_true(count >= 3);
    assert_string_equal(matches[0]->iso, "IN");
    assert_string_equal(matches[1]->iso, "ID");
    assert_true(listed(matches, count, "IO"));
}

/* The country of the default code comes first when it matches at all. */
static void default_country_first(void **state)
{
    (void)state;
    const struct country *matches[MATCHES_MAX];

    size_t count = search(NULL, "united", 44, matches);
    assert_true(count >= 4);
    assert_string_equal(matches[0]->iso, "GB");
    count = search(NULL, "united", 971, matches);
    assert_string_equal(matches[0]->iso, "AE");
    count = search(NULL, "korea", 82, matches);
    assert_int_equal(count, 2);
    assert_string_equal(matches[0]->iso, "KR");
    count = search(NULL, "korea", 850, matches);
    assert_string_equal(matches[0]->iso, "KP");
    /* Not matching: not shown. */
    count = search(NULL, "jap", 44, matches);
    assert_int_equal(count, 1);
    assert_string_equal(matches[0]->iso, "JP");
    /* A default code no country has changes nothing. */
    assert_int_equal(search(NULL, "jap", 999, matches), 1);
}

/* The name in the user's language is searched and shown. */
static void translated_names(void **state)
{
    (void)state;
    struct i18n_catalogue *ja = japanese_catalogue();
    const struct country *matches[MATCHES_MAX];
    char shown[COUNTRY_DISPLAY_MAX];

    assert_int_equal(search(ja, "日本", 0, matches), 1);
    assert_string_equal(matches[0]->iso, "JP");
    assert_int_equal(search(ja, "本", 0, matches), 1);
    /* English still works in Japanese. */
    assert_int_equal(search(ja, "japan", 0, matches), 1);
    assert_int_equal(search(ja, "イギリス", 0, matches), 1);
    assert_string_equal(matches[0]->iso, "GB");
    assert_int_equal(search(ja, "韓国", 0, matches), 1);
    assert_string_equal(matches[0]->iso, "KR");
    /* Not translated in this catalogue: English. */
    country_display(ja, country_by_iso("FR"), shown, sizeof shown);
    assert_string_equal(shown, "France (+33)");
    country_display(ja, country_by_iso("jp"), shown, sizeof shown);
    assert_string_equal(shown, "日本 (+81)");
    country_display(NULL, country_by_iso("JP"), shown, sizeof shown);
    assert_string_equal(shown, "Japan (+81)");
    /* Cut whole characters only: "日" is 3 bytes. */
    country_display(ja, country_by_iso("JP"), shown, 5);
    assert_string_equal(shown, "日");
    /* The translated name sorts: "united" finds the English names of the
     * translated ones too. */
    size_t count = search(ja, "united", 0, matches);
    assert_true(listed(matches, count, "GB") && listed(matches, count, "US"));
    i18n_catalogue_free(ja);
}

/* What the terminal sends is hostile: nothing breaks, nothing matches. */
static void hostile_queries_are_safe(void **state)
{
    (void)state;
    const struct country *matches[MATCHES_MAX];
    char long_query[4096];

    memset(long_query, 'a', sizeof long_query - 1);
    long_query[sizeof long_query - 1] = '\0';
    assert_int_equal(search(NULL, long_query, 81, matches), 0);
    long_query[COUNTRY_QUERY_MAX + 1] = '\0';
    assert_int_equal(search(NULL, long_query, 81, matches), 0);
    assert_int_equal(search(NULL, NULL, 81, matches), 0);
    assert_int_equal(search(NULL, "", 81, matches), 0);
    assert_int_equal(search(NULL, "     ", 81, matches), 0);
    assert_int_equal(search(NULL, "\xff\xfe\x80", 81, matches), 0);
    assert_int_equal(search(NULL, "\xe6\x97", 81, matches), 0); /* half of 日 */
    assert_int_equal(search(NULL, "\x1b[2J", 81, matches), 0);
    assert_int_equal(search(NULL, "%s%n%x", 81, matches), 0);
    assert_int_equal(search(NULL, "+99999999999999999999", 81, matches), 0);
    assert_int_equal(search(NULL, "-1", 81, matches), 0);
    assert_int_equal(search(NULL, "0", 81, matches), 0);
    assert_int_equal(search(NULL, "081", 81, matches), 0);
    /* max smaller than the matches: the count is still whole. */
    size_t count = country_search(NULL, "a", 0, matches, 3);
    assert_true(count > 100);
    assert_int_equal(country_search(NULL, "a", 0, NULL, 0), count);
    assert_null(country_by_iso("J"));
    assert_null(country_by_iso("JPN"));
    assert_null(country_by_iso(NULL));
    assert_null(country_by_iso("\xff\xff"));
}

static void echo_is_cleaned(void **state)
{
    (void)state;
    char out[16];

    country_clean_echo("日本\x1b[2J", out, sizeof out);
    assert_string_equal(out, "日本?[2J");
    country_clean_echo("a\r\nb\x7f\xc2\x9b" "c", out, sizeof out); /* CR, LF, DEL, C1 CSI */
    assert_string_equal(out, "a??b???c"); /* a C1 character: each of its bytes */
    country_clean_echo("\xff\xe6\x97", out, sizeof out);
    assert_string_equal(out, "???");
    country_clean_echo("abcdefghijklmnopqrstuvwxyz", out, sizeof out);
    assert_string_equal(out, "abcdefghijklmno");
    country_clean_echo("aaaaaaaaaaaaaa日", out, sizeof out); /* no half character */
    assert_string_equal(out, "aaaaaaaaaaaaaa");
    country_clean_echo(NULL, out, sizeof out);
    assert_string_equal(out, "");
    assert_int_equal(country_query_code(" +81 "), 81);
    assert_int_equal(country_query_code("882"), 882);
    assert_int_equal(country_query_code("8812"), 0);
    assert_int_equal(country_query_code("japan"), 0);
}

struct trunk_case {
    const char *input;
    unsigned country;
    const char *e164;
};

/* National numbers with their trunk prefix, as dialled at home, checked
 * against each country's numbering plan. */
static void trunk_prefixes_normalise(void **state)
{
    (void)state;
    static const struct trunk_case cases[] = {
        {"090-1234-5678", 81, "+819012345678"},   /* Japan, mobile: 0 dropped */
        {"03-1234-5678", 81, "+81312345678"},     /* Japan, Tokyo */
        {"07700 900123", 44, "+447700900123"},    /* UK mobile */
        {"020 7946 0958", 44, "+442079460958"},   /* London */
        {"06 1234 5678", 39, "+390612345678"},    /* Italy: the 0 is part of the number */
        {"8 495 123-45-67", 7, "+74951234567"},   /* Russia: 8 dropped */
        {"8 727 123 4567", 7, "+77271234567"},    /* Kazakhstan (+7 too) */
        {"06 1 234 5678", 36, "+3612345678"},     /* Hungary: 06 dropped */
        {"8 029 123-45-67", 375, "+375291234567"}, /* Belarus: 8 0 dropped */
        {"030 1234567", 49, "+49301234567"},      /* Germany */
        {"01 23 45 67 89", 33, "+33123456789"},   /* France */
        {"0412 345 678", 61, "+61412345678"},     /* Australia */
        {"010-1234-5678", 82, "+821012345678"},   /* South Korea */
        {"91 123 45 67", 34, "+34911234567"},     /* Spain: no trunk prefix */
        {"55 1234 5678", 52, "+525512345678"},    /* Mexico: none since 2019 */
        {"07 07 12 34 56", 225, "+2250707123456"}, /* Côte d'Ivoire: the 0 is part of the number */
        {"0549 123456", 378, "+3780549123456"},   /* San Marino */
        {"(555) 234-4517", 1, "+15552344517"},    /* NANP */
        {"1 555 234 4517", 1, "+15552344517"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct phone_number number;
        enum phone_parse_error error = phone_parse(cases[i].input, cases[i].country, &number);
        if (error != PHONE_OK)
            fail_msg("%s (+%u): %s", cases[i].input, cases[i].country, phone_parse_error_text(error));
        if (strcmp(number.e164, cases[i].e164) != 0)
            fail_msg("%s (+%u): %s, not %s", cases[i].input, cases[i].country, number.e164, cases[i].e164);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_entry_is_valid_and_unique),
        cmocka_unit_test(finds_by_name_code_and_iso),
        cmocka_unit_test(latin_letters_match_in_any_case),
        cmocka_unit_test(ranks_exact_then_prefix_then_part),
        cmocka_unit_test(default_country_first),
        cmocka_unit_test(translated_names),
        cmocka_unit_test(hostile_queries_are_safe),
        cmocka_unit_test(echo_is_cleaned),
        cmocka_unit_test(trunk_prefixes_normalise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
