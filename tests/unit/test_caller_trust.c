/* Which of the caller's variables stop the module in a program another
 * user started (su, sudo): the ones a library would honour as root. */
#include "unit_helpers.h"

#include <unistd.h>

#include "caller_trust.h"

static const char *unsafe(bool started_by_user, bool kernel_secure, const char *const *env)
{
    static char name[64];
    struct caller_trust trust = {.started_by_user = started_by_user, .kernel_secure = kernel_secure};

    return caller_trust_unsafe_variable(&trust, env, name, sizeof name) ? name : NULL;
}

static void sslkeylogfile_stops_a_setuid_caller(void **state)
{
    (void)state;
    const char *env[] = {"LANG=C.UTF-8", "SSLKEYLOGFILE=/etc/ld.so.preload", "HOME=/home/carol", NULL};

    assert_string_equal(unsafe(true, true, env), "SSLKEYLOGFILE");
    assert_string_equal(unsafe(true, false, env), "SSLKEYLOGFILE");
    /* sshd and login: the environment is the administrator's. */
    assert_null(unsafe(false, false, env));
}

static void what_libraries_ignore_does_not_stop_anyone(void **state)
{
    (void)state;
    /* Proxies and .netrc are overridden by explicit options; OpenSSL ignores
     * its variables where the kernel set AT_SECURE (real su and sudo). */
    const char *env[] = {"https_proxy=http://127.0.0.1:9", "HTTPS_PROXY=x", "ALL_PROXY=x", "NO_PROXY=*",
                   "CURL_CA_BUNDLE=/tmp/ca", "OPENSSL_CONF=/tmp/evil.cnf", "SSL_CERT_FILE=/tmp/ca",
                   "SSLKEYLOGFILEX=1", "XSSLKEYLOGFILE=1", "SSLKEYLOGFIL=1", NULL};

    assert_null(unsafe(true, true, env));
    /* Without AT_SECURE (a process that changed its uids itself) OpenSSL would read them. */
    assert_string_equal(unsafe(true, false, env), "OPENSSL_CONF");
    const char *empty[] = {NULL};
    assert_null(unsafe(true, false, empty));
    assert_null(unsafe(true, true, NULL));
}

static void this_test_is_not_a_setuid_caller(void **state)
{
    (void)state;
    struct caller_trust trust;

    caller_trust_inspect(&trust);
    assert_false(trust.kernel_secure);
    assert_int_equal(trust.started_by_user, getuid() != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sslkeylogfile_stops_a_setuid_caller),
        cmocka_unit_test(what_libraries_ignore_does_not_stop_anyone),
        cmocka_unit_test(this_test_is_not_a_setuid_caller),
    };
    return cmocka_run_group_tests_name("caller_trust", tests, NULL, NULL);
}
