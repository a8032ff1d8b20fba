#include "unit_helpers.h"
#include "phone_number.h"

struct parse_case {
    const char *input;
    unsigned default_country;
    const char *e164;
    const char *extension;
};

static void normalises_international_and_national_input(void **state)
{
    (void)state;
    static const struct parse_case cases[] = {
        {"+1 555 234 4517", 0, "+15552344517", ""},
        {"+1 (555) 234-4517", 0, "+15552344517", ""},
        {"(555) 234-4517", 1, "+15552344517", ""},
        {"1 555 234 4517", 1, "+15552344517", ""},
        {"555.234.4517", 1, "+15552344517", ""},
        {"07700 900123", 44, "+447700900123", ""},
        {"+44 7700 900123", 1, "+447700900123", ""},
        {"0044 7700 900123", 1, "+447700900123", ""},
        {"090-1234-5678", 81, "+819012345678", ""},
        {"+81 90 1234 5678", 0, "+819012345678", ""},
        {"+1 555 234 4517 ext. 4321", 0, "+15552344517", "4321"},
        {"+1 555 234 4517 x12", 0, "+15552344517", "12"},
        {"+1 555 234 4517,99", 0, "+15552344517", "99"},
        {"+683 4002", 0, "+6834002", ""},
        {"+353 1 234 5678", 0, "+35312345678", ""},
        /* The leading 0 is part of Italian (and San Marino, Vatican) numbers. */
        {"06 6982 1234", 39, "+390669821234", ""},
        {"333 123 4567", 39, "+393331234567", ""},
        /* Russia and Kazakhstan dial 8 before a national number, Belarus 8 0, Hungary 06. */
        {"8 495 123-45-67", 7, "+74951234567", ""},
        {"8 (029) 123-45-67", 375, "+375291234567", ""},
        {"06 1 234 5678", 36, "+3612345678", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct phone_number number;
        enum phone_parse_error error = phone_parse(cases[i].input, cases[i].default_country, &number);
        if (error != PHONE_OK)
            fail_msg("%s: %s", cases[i].input, phone_parse_error_text(error));
        assert_string_equal(number.e164, cases[i].e164);
        assert_string_equal(number.extension, cases[i].extension);
    }
}

/* Nothing past the extension's end may come from uninitialised memory. */
static void the_whole_result_is_defined(void **state)
{
    (void)state;
    struct phone_number number, again;

    memset(&number, 0xa5, sizeof number);
    memset(&again, 0x5a, sizeof again);
    assert_int_equal(phone_parse("+1 555 234 4517 x12", 0, &number), PHONE_OK);
    assert_int_equal(phone_parse("+1 555 234 4517 x12", 0, &again), PHONE_OK);
    assert_memory_equal(&number, &again, sizeof number);
}

static void rejects_invalid_input_with_a_reason(void **state)
{
    (void)state;
    static const struct {
        const char *input;
        unsigned default_country;
        enum phone_parse_error error;
    } cases[] = {
        {"", 1, PHONE_EMPTY},
        {"   ", 1, PHONE_EMPTY},
        {"+", 1, PHONE_EMPTY},
        {"555-CALL-NOW", 1, PHONE_BAD_CHARACTER},
        {"+1 555 234 4517; rm -rf /", 1, PHONE_BAD_CHARACTER},
        {"+1 555 234 451", 0, PHONE_TOO_FEW_DIGITS},
        {"+1 555 234 45178", 0, PHONE_TOO_MANY_DIGITS},
        {"+1 055 234 4517", 0, PHONE_BAD_NANP_NUMBER},
        {"+1 555 023 4517", 0, PHONE_BAD_NANP_NUMBER},
        {"+0 555 234 4517", 0, PHONE_BAD_COUNTRY_CODE},
        {"+44 1234 5678 9012 34", 0, PHONE_TOO_MANY_DIGITS},
        {"+44 12", 0, PHONE_TOO_FEW_DIGITS},
        {"555 234 4517", 0, PHONE_NO_DEFAULT_COUNTRY},
        {"+1 555 234 4517 ext.", 0, PHONE_BAD_EXTENSION},
        {"+1 555 234 4517 ext. 12345678901", 0, PHONE_BAD_EXTENSION},
        {"+1 555 234 4517 ext. 12a", 0, PHONE_BAD_EXTENSION},
        {"+1 555 234 4517\n", 0, PHONE_BAD_CHARACTER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct phone_number number;
        enum phone_parse_error error = phone_parse(cases[i].input, cases[i].default_country, &number);
        if (error != cases[i].error)
            fail_msg("\"%s\": got %d (%s), expected %d", cases[i].input, error,
                     phone_parse_error_text(error), cases[i].error);
        assert_true(strlen(phone_parse_error_text(error)) > 5);
    }
}

static void rejects_overlong_input_without_reading_past_it(void **state)
{
    (void)state;
    char input[4096];
    struct phone_number number;

    memset(input, '1', sizeof input - 1);
    input[sizeof input - 1] = '\0';
    assert_int_equal(phone_parse(input, 1, &number), PHONE_TOO_LONG);
    assert_int_equal(phone_parse(NULL, 1, &number), PHONE_EMPTY);
}

static void masks_all_but_the_last_two_digits(void **state)
{
    (void)state;
    static const struct {
        const char *e164;
        const char *masked;
    } cases[] = {
        {"+15552344517", "+X XXXXXXXX17"},
        {"+447700900123", "+XX XXXXXXXX23"},
        {"+35312345678", "+XXX XXXXXX78"},
        {"+6834002", "+XXX XX02"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct phone_number number;
        char masked[PHONE_MASK_MAX];
        assert_int_equal(phone_from_e164(cases[i].e164, NULL, &number), PHONE_OK);
        phone_mask(&number, masked, sizeof masked);
        assert_string_equal(masked, cases[i].masked);
    }
}

static void stored_numbers_must_be_exact_e164(void **state)
{
    (void)state;
    struct phone_number number;

    assert_int_equal(phone_from_e164("+15552344517", "4321", &number), PHONE_OK);
    assert_string_equal(number.extension, "4321");
    assert_int_not_equal(phone_from_e164("15551234517", NULL, &number), PHONE_OK);
    assert_int_not_equal(phone_from_e164("+1 555 234 4517", NULL, &number), PHONE_OK);
    assert_int_not_equal(phone_from_e164("+1555234451799999", NULL, &number), PHONE_OK);
    assert_int_not_equal(phone_from_e164("+15552344517", "", &number), PHONE_OK);
    assert_int_not_equal(phone_from_e164("+15552344517", "ww1", &number), PHONE_OK);
    assert_int_not_equal(phone_from_e164(NULL, NULL, &number), PHONE_OK);
}

static void country_codes(void **state)
{
    (void)state;
    assert_true(phone_country_code_is_valid(1));
    assert_true(phone_country_code_is_valid(44));
    assert_true(phone_country_code_is_valid(353));
    assert_false(phone_country_code_is_valid(0));
    assert_false(phone_country_code_is_valid(2));
    assert_false(phone_country_code_is_valid(35));
    assert_false(phone_country_code_is_valid(4400));
}

static void survives_random_input(void **state)
{
    (void)state;
    unsigned seed = 12345;
    char input[80];
    struct phone_number number;

    for (int round = 0; round < 20000; round++) {
        size_t length = (size_t)(rand_r(&seed) % (int)(sizeof input - 1));
        for (size_t i = 0; i < length; i++)
            input[i] = "+0123456789 ()-.x#,ext"[rand_r(&seed) % 22];
        input[length] = '\0';
        if (phone_parse(input, (unsigned)(rand_r(&seed) % 3) == 0 ? 0 : 44, &number) == PHONE_OK) {
            char masked[PHONE_MASK_MAX];
            assert_true(strlen(number.e164) <= PHONE_E164_MAX);
            phone_mask(&number, masked, sizeof masked);
            assert_true(masked[0] == '+');
        }
    }
}

static void hints_the_country_code_for_a_national_number_that_does_not_fit(void **state)
{
    struct phone_number number;
    char hint[PHONE_HINT_MAX];
    (void)state;

    enum phone_parse_error error = phone_parse("07700 900123", 1, &number);
    assert_int_equal(error, PHONE_TOO_MANY_DIGITS);
    assert_true(phone_parse_hint(NULL, "07700 900123", 1, error, hint, sizeof hint));
    assert_string_equal(hint, "If this is not a +1 number, type it with its country code, e.g. +44 7700 900123.");
    /* Under +44 the example names another country. */
    assert_true(phone_parse_hint(NULL, " 0612 34", 44, PHONE_TOO_FEW_DIGITS, hint, sizeof hint));
    assert_string_equal(hint, "If this is not a +44 number, type it with its country code, e.g. +33 612 34.");
    /* No hint: typed with a country code, another kind of error, no
     * default country, a result that does not fit. */
    assert_false(phone_parse_hint(NULL, "+44 12", 1, PHONE_TOO_FEW_DIGITS, hint, sizeof hint));
    assert_string_equal(hint, "");
    assert_false(phone_parse_hint(NULL, "0044 12", 1, PHONE_TOO_FEW_DIGITS, hint, sizeof hint));
    assert_false(phone_parse_hint(NULL, "555-CALL", 1, PHONE_BAD_CHARACTER, hint, sizeof hint));
    assert_false(phone_parse_hint(NULL, "07700 900123", 0, PHONE_TOO_MANY_DIGITS, hint, sizeof hint));
    assert_false(phone_parse_hint(NULL, "07700 900123", 1, PHONE_TOO_MANY_DIGITS, hint, 20));
    assert_string_equal(hint, "");
    assert_false(phone_parse_hint(NULL, NULL, 1, PHONE_TOO_MANY_DIGITS, hint, sizeof hint));
    /* Refused for its digits before the stray byte was seen (found by
     * fuzz_phone_number): never repeated to a terminal. */
    error = phone_parse("606 606 982 1234982 123\t04", 1, &number);
    assert_int_equal(error, PHONE_TOO_MANY_DIGITS);
    assert_false(phone_parse_hint(NULL, "606 606 982 1234982 123\t04", 1, error, hint, sizeof hint));
    assert_false(phone_parse_hint(NULL, "07700 900123\x1b[2J", 1, PHONE_TOO_MANY_DIGITS, hint, sizeof hint));
    assert_string_equal(hint, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalises_international_and_national_input),
        cmocka_unit_test(the_whole_result_is_defined),
        cmocka_unit_test(rejects_invalid_input_with_a_reason),
        cmocka_unit_test(rejects_overlong_input_without_reading_past_it),
        cmocka_unit_test(masks_all_but_the_last_two_digits),
        cmocka_unit_test(stored_numbers_must_be_exact_e164),
        cmocka_unit_test(country_codes),
        cmocka_unit_test(survives_random_input),
        cmocka_unit_test(hints_the_country_code_for_a_national_number_that_does_not_fit),
    };
    return cmocka_run_group_tests_name("phone_number", tests, NULL, NULL);
}
