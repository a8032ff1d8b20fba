#include "unit_helpers.h"
#include "verify_client.h"

static void normalised(const char *typed, const char *expected)
{
    char code[64];

    (void)snprintf(code, sizeof code, "%s", typed);
    size_t typed_length = strlen(code);
    verify_code_normalise(code);
    assert_string_equal(code, expected);
    /* Nothing of the code is left behind the new end. */
    for (size_t i = strlen(code); i <= typed_length; i++)
        assert_int_equal(code[i], '\0');
}

static void spaces_and_hyphens_are_removed(void **state)
{
    (void)state;
    normalised("123 456", "123456");
    normalised("123-456", "123456");
    normalised(" 12 34-56 ", "123456");
    normalised("1 2 3 4 5 6", "123456");
    normalised("123456", "123456");
    assert_true(verify_code_is_well_formed("123456"));
}

static void other_characters_stay_and_stay_wrong(void **state)
{
    (void)state;
    const char *wrong[] = {"123.456", "123_456", "123\t456", "123/456", "１２３４５６", "123+456"};
    char code[64];

    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        (void)snprintf(code, sizeof code, "%s", wrong[i]);
        verify_code_normalise(code);
        assert_string_equal(code, wrong[i]);
        assert_false(verify_code_is_well_formed(code));
    }
}

static void only_separators_leave_nothing(void **state)
{
    (void)state;
    normalised(" - - ", "");
    normalised("", "");
    assert_false(verify_code_is_well_formed(""));
    /* Too short once the separators are gone. */
    char code[] = "1-2-3";
    verify_code_normalise(code);
    assert_false(verify_code_is_well_formed(code));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spaces_and_hyphens_are_removed),
        cmocka_unit_test(other_characters_stay_and_stay_wrong),
        cmocka_unit_test(only_separators_leave_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
