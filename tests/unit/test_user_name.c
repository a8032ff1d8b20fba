#include "unit_helpers.h"
#include "user_name.h"

static void accepts_ordinary_names(void **state)
{
    (void)state;
    const char *good[] = {"alice", "bob.smith", "svc-backup", "a", "_apt", "Admin2", "host$",
                          "abcdefghijklmnopqrstuvwxyz012345"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(user_name_is_valid(good[i]));
}

static void rejects_names_that_could_escape_a_path_or_line(void **state)
{
    (void)state;
    const char *bad[] = {"", ".", "..", "../root", "a/b", "-rf", ".hidden", "al ice", "a\nb",
                         "$", "a$b", "abcdefghijklmnopqrstuvwxyz0123456", "ali\xc3\xa7\x65", "a\"b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(user_name_is_valid(bad[i]));
    assert_false(user_name_is_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_ordinary_names),
        cmocka_unit_test(rejects_names_that_could_escape_a_path_or_line),
    };
    return cmocka_run_group_tests_name("user_name", tests, NULL, NULL);
}
