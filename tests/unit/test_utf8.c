/* The strict UTF-8 reader every shown text goes through. */
#include "unit_helpers.h"

#include "utf8.h"

static void well_formed_characters_are_read(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t length;
        uint32_t point;
    } good[] = {
        {"a", 1, 'a'}, {"\xc3\xa9", 2, 0xe9}, {"\xe6\x97\xa5", 3, 0x65e5}, {"\xf0\x9f\x98\x80", 4, 0x1f600},
        {"\xc2\x9b", 2, 0x9b}, {"\xef\xbc\x91", 3, 0xff11},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint32_t point = 0;
        assert_int_equal(utf8_character((const unsigned char *)good[i].bytes, strlen(good[i].bytes), &point),
                         good[i].length);
        assert_int_equal(point, good[i].point);
    }
    uint32_t point = 1;
    assert_int_equal(utf8_character((const unsigned char *)"", 1, &point), 1);
    assert_int_equal(point, 0);
}

static void malformed_bytes_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
        "\xff", "\xe6\x97", "\346\227a", "\xc3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t point;
        assert_int_equal(utf8_character((const unsigned char *)bad[i], strlen(bad[i]), &point), 0);
    }
    uint32_t point;
    /* Cut short by what is available, whatever follows in memory. */
    assert_int_equal(utf8_character((const unsigned char *)"\xe6\x97\xa5", 2, &point), 0);
    assert_int_equal(utf8_character((const unsigned char *)"a", 0, &point), 0);
}

static void controls_are_c0_del_and_c1(void **state)
{
    (void)state;
    assert_true(utf8_is_control(0));
    assert_true(utf8_is_control(0x1b));
    assert_true(utf8_is_control(0x7f));
    assert_true(utf8_is_control(0x9b));
    assert_false(utf8_is_control(' '));
    assert_false(utf8_is_control(0xa0));
    assert_false(utf8_is_control(0x65e5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_formed_characters_are_read),
        cmocka_unit_test(malformed_bytes_are_refused),
        cmocka_unit_test(controls_are_c0_del_and_c1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
