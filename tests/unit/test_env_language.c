#include "unit_helpers.h"
#include "env_language.h"

static void reads_the_language_of_a_locale_value(void **state)
{
    (void)state;
    char tag[I18N_TAG_MAX];
    static const struct {
        const char *value, *tag;
    } cases[] = {
        {"ja_JP.UTF-8", "ja-JP"}, {"ja", "ja"},           {"de_DE@euro", "de-DE"},
        {"pt_BR", "pt-BR"},       {"de:en", "de"},        {"en_US.UTF-8:fr", "en-US"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(env_language_tag(cases[i].value, tag));
        assert_string_equal(tag, cases[i].tag);
    }
}

static void names_no_language_for_c_or_junk(void **state)
{
    (void)state;
    char tag[I18N_TAG_MAX];
    const char *none[] = {"", "C", "POSIX", "C.UTF-8", ":de", "../../etc", "JA", "a", "abcdefghijklmnopqrstuvwxyz",
                          "ja_JP/../x", "ja-\x1b[2J"};

    assert_false(env_language_tag(NULL, tag));
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        if (env_language_tag(none[i], tag))
            fail_msg("\"%s\" gave \"%s\"", none[i], tag);
        assert_string_equal(tag, "");
    }
}

static void takes_the_first_variable_that_names_a_language(void **state)
{
    (void)state;
    char tag[I18N_TAG_MAX];

    assert_int_equal(setenv("LANGUAGE", "", 1), 0);
    assert_int_equal(setenv("LC_ALL", "C", 1), 0);
    assert_int_equal(setenv("LC_MESSAGES", "de_DE.UTF-8", 1), 0);
    assert_int_equal(setenv("LANG", "ja_JP.UTF-8", 1), 0);
    assert_true(env_language(tag));
    assert_string_equal(tag, "de-DE");
    assert_int_equal(unsetenv("LC_MESSAGES"), 0);
    assert_true(env_language(tag));
    assert_string_equal(tag, "ja-JP");
    assert_int_equal(unsetenv("LANG"), 0);
    assert_false(env_language(tag));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_language_of_a_locale_value),
        cmocka_unit_test(names_no_language_for_c_or_junk),
        cmocka_unit_test(takes_the_first_variable_that_names_a_language),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
