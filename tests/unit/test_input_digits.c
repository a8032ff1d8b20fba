#include "unit_helpers.h"
#include "input_digits.h"
#include "menu.h"

static void folds_full_width_digits_to_ascii(void **state)
{
    (void)state;
    /* "１２３４５６７８９０" as a Japanese input method sends it. */
    char text[] = "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95"
                  "\xEF\xBC\x96\xEF\xBC\x97\xEF\xBC\x98\xEF\xBC\x99\xEF\xBC\x90";
    size_t size = sizeof text;

    assert_int_equal(input_digits_fold(text), 10);
    assert_string_equal(text, "1234567890");
    /* The freed tail is wiped (the text may be a code). */
    for (size_t i = 10; i < size; i++)
        assert_int_equal(text[i], '\0');
}

static void leaves_everything_else_alone(void **state)
{
    (void)state;
    char mixed[] = "1 \xEF\xBC\x92-x";
    char ascii[] = "12";
    char empty[] = "";
    /* U+FF0F (slash) and U+FF1A (colon) are next to the digits, not digits;
     * a sequence cut short stays as it is for the parser to refuse. */
    char neighbours[] = "\xEF\xBC\x8F\xEF\xBC\x9A";
    char cut[] = "\xEF\xBC";

    assert_int_equal(input_digits_fold(mixed), 5);
    assert_string_equal(mixed, "1 2-x");
    assert_int_equal(input_digits_fold(ascii), 2);
    assert_string_equal(ascii, "12");
    assert_int_equal(input_digits_fold(empty), 0);
    assert_int_equal(input_digits_fold(neighbours), 6);
    assert_string_equal(neighbours, "\xEF\xBC\x8F\xEF\xBC\x9A");
    assert_int_equal(input_digits_fold(cut), 2);
    assert_string_equal(cut, "\xEF\xBC");
}

/* The login menu takes the number as it was typed. */
static void the_login_menu_takes_full_width_numbers(void **state)
{
    (void)state;
    struct menu menu = {.count = 12, .default_index = 0};
    size_t index = 99;

    assert_true(menu_parse_choice(&menu, "\xEF\xBC\x92", &index));
    assert_int_equal(index, 1);
    assert_true(menu_parse_choice(&menu, " \xEF\xBC\x91\xEF\xBC\x92 ", &index));
    assert_int_equal(index, 11);
    assert_true(menu_parse_choice(&menu, "1\xEF\xBC\x90", &index));
    assert_int_equal(index, 9);
    assert_false(menu_parse_choice(&menu, "\xEF\xBC\x90", &index));
    assert_false(menu_parse_choice(&menu, "\xEF\xBC\x91\xEF\xBC\x93", &index));
    assert_false(menu_parse_choice(&menu, "\xEF\xBC\x9A", &index));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folds_full_width_digits_to_ascii),
        cmocka_unit_test(leaves_everything_else_alone),
        cmocka_unit_test(the_login_menu_takes_full_width_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
