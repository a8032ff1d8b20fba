#include "unit_helpers.h"
#include "user_name.h"

static void accepts_ordinary_names(void **state)
{
    (void)state;
    const char *good[] = {"alice", "bob.smith", "svc-backup", "a", "_apt", "Admin2", "host$",
                          "abcdefghijklmnopqrstuvwxyz012345",
                          "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(user_name_is_valid(good[i]));
}

/* sssd's fully qualified names for AD and FreeIPA users. */
static void accepts_user_at_domain(void **state)
{
    (void)state;
    const char *good[] = {"alice@corp.example.com", "Alice.Smith@CORP.EXAMPLE.COM", "a@b", "svc-x@ad-1.example.test",
                          "host$@corp.example.com", "u@x1.y-2.z3"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(user_name_is_valid(good[i]));
}

static void rejects_names_that_could_escape_a_path_or_line(void **state)
{
    (void)state;
    const char *bad[] = {"", ".", "..", "../root", "a/b", "-rf", ".hidden", "al ice", "a\nb",
                         "$", "a$b", "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012",
                         "ali\xc3\xa7\x65", "a\"b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(user_name_is_valid(bad[i]));
    assert_false(user_name_is_valid(NULL));
}

/* Each of these would mean something else in a file name, an LDAP filter
 * (RFC 4515 specials), a URL path or a log line. */
static void rejects_hostile_domain_names(void **state)
{
    (void)state;
    const char *bad[] = {"@example.com", "alice@", "alice@@example.com", "alice@example..com", "alice@.example.com",
                         "alice@example.com.", "alice@-example.com", "alice@example-.com", "alice@exa_mple.com",
                         "alice@example.com/../x", "alice@ex*ample.com", "alice@ex(ample).com", "alice@ex\\2a.com",
                         "a@b@c", "CORP\\alice", "alice@example.com\n", "alice@exam ple.com", "alice@ex%40ample.com",
                         "alice)(uid=*@example.com", "alice@example.com?x", "alice@xn--\xc3\xa9.com",
                         "alice@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(user_name_is_valid(bad[i]));
    char long_name[USER_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    long_name[10] = '@';
    for (size_t i = 20; i < sizeof long_name - 1; i += 20)
        long_name[i] = '.';
    assert_false(user_name_is_valid(long_name));
    long_name[USER_NAME_MAX] = '\0';
    assert_true(user_name_is_valid(long_name));
}

static void splits_local_part_and_domain(void **state)
{
    (void)state;
    char local[USER_NAME_LOCAL_MAX + 1];
    assert_true(user_name_local_part("alice@corp.example.com", local, sizeof local));
    assert_string_equal(local, "alice");
    assert_string_equal(user_name_domain("alice@corp.example.com"), "corp.example.com");
    assert_true(user_name_local_part("bob", local, sizeof local));
    assert_string_equal(local, "bob");
    assert_string_equal(user_name_domain("bob"), "");
    char tiny[3];
    assert_false(user_name_local_part("alice@x", tiny, sizeof tiny));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_ordinary_names),
        cmocka_unit_test(accepts_user_at_domain),
        cmocka_unit_test(rejects_names_that_could_escape_a_path_or_line),
        cmocka_unit_test(rejects_hostile_domain_names),
        cmocka_unit_test(splits_local_part_and_domain),
    };
    return cmocka_run_group_tests_name("user_name", tests, NULL, NULL);
}
