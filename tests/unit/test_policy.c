#include "unit_helpers.h"

#include <arpa/inet.h>

#include "policy.h"
#include "user_state.h"

static struct phonemfa_config *config_with(const char *extra)
{
    char text[1024];
    struct phonemfa_config *config = NULL;
    struct config_error error;

    (void)snprintf(text, sizeof text,
                   "service: { urls = [\"https://a.example\"]; token = \"t\"; };\n%s", extra);
    if (config_parse_text("/etc/phonemfa/phonemfa.conf", text, &config, &error) != 0)
        fail_msg("%s", error.message);
    return config;
}

static void trusted_networks_match_addresses_only(void **state)
{
    (void)state;
    struct phonemfa_config *config = config_with(
        "access: { trusted_networks = [ \"10.0.0.0/8\", \"192.0.2.7\", \"2001:db8::/32\", \"172.16.0.0/12\" ]; };");
    const char *inside[] = {"10.0.0.1", "10.255.255.255", "192.0.2.7", "2001:db8::1", "2001:db8:ffff::",
                            "::ffff:10.1.2.3", "172.31.0.1"};
    const char *outside[] = {"11.0.0.1", "192.0.2.8", "2001:db9::1", "172.32.0.1", "::1", "localhost",
                             "10.0.0.1.example.com", "", "10.0.0.1 ", "0a00:0001::"};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++)
        if (!policy_address_in(config, inside[i]))
            fail_msg("%s should be trusted", inside[i]);
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
        if (policy_address_in(config, outside[i]))
            fail_msg("%s should not be trusted", outside[i]);
    assert_false(policy_address_in(config, NULL));
    config_free(config);
}

static enum exemption exemption_of(const struct phonemfa_config *config, const char *user, const char *rhost)
{
    enum exemption exemption = NOT_EXEMPT;
    char error[256];

    if (policy_exemption(config, user, rhost, &exemption, error, sizeof error) != 0)
        fail_msg("lookup failed: %s", error);
    return exemption;
}

static void exemptions(void **state)
{
    (void)state;
    enum exemption exemption = EXEMPT_USER;
    char error[256];
    struct phonemfa_config *config = config_with("access: { exempt_users = [ \"svc\" ]; };");
    assert_int_equal(exemption_of(config, "svc", "192.0.2.1"), EXEMPT_USER);
    assert_int_equal(exemption_of(config, "alice", "192.0.2.1"), NOT_EXEMPT);
    config_free(config);
    /* root and daemon are on every Debian system. */
    config = config_with("access: { required_groups = [ \"root\" ]; };");
    assert_int_equal(exemption_of(config, "root", NULL), NOT_EXEMPT);
    assert_int_equal(exemption_of(config, "daemon", NULL), NOT_IN_REQUIRED_GROUP);
    /* Not a member cannot be told from "could not tell": a failed lookup is an error. */
    assert_int_equal(policy_exemption(config, "no-such-user-here", NULL, &exemption, error, sizeof error), -1);
    assert_int_equal(exemption, NOT_EXEMPT);
    config_free(config);
    config = config_with("access: { required_groups = [ \"no-such-group-here\" ]; };");
    assert_int_equal(policy_exemption(config, "root", NULL, &exemption, error, sizeof error), -1);
    assert_contains(error, "group 'no-such-group-here' does not exist");
    config_free(config);
    config = config_with("access: { exempt_groups = [ \"no-such-group-here\", \"root\" ]; };");
    assert_int_equal(exemption_of(config, "root", NULL), EXEMPT_GROUP);
    assert_int_equal(exemption_of(config, "daemon", NULL), NOT_EXEMPT);
    config_free(config);
}

static void remember_keys(void **state)
{
    (void)state;
    char key[STATE_KEY_MAX + 1];
    struct phonemfa_config *config = config_with("remember: { mode = \"ask\"; key = [ \"rhost\", \"service\" ]; };");

    assert_true(policy_remember_key(config, "192.0.2.10", "sshd", "ssh", NULL, key, sizeof key));
    assert_string_equal(key, "rhost=192.0.2.10;service=sshd");
    assert_false(policy_remember_key(config, NULL, "sudo", "/dev/pts/1", NULL, key, sizeof key));
    assert_false(policy_remember_key(config, "", "sudo", "/dev/pts/1", NULL, key, sizeof key));
    assert_true(policy_remember_key(config, "a b;c", "sshd", NULL, NULL, key, sizeof key));
    assert_string_equal(key, "rhost=a?b?c;service=sshd");
    /* su to another account (verify_user "invoking"): for that account only. */
    assert_true(policy_remember_key(config, "192.0.2.10", "su-l", NULL, "alice", key, sizeof key));
    assert_string_equal(key, "rhost=192.0.2.10;service=su-l;target=alice");
    config_free(config);

    /* A later part missing: no key at all, not the parts before it. */
    config = config_with("remember: { mode = \"ask\"; key = [ \"rhost\", \"tty\" ]; };");
    assert_false(policy_remember_key(config, "192.0.2.10", "sshd", NULL, NULL, key, sizeof key));
    assert_string_equal(key, "");
    assert_true(policy_remember_key(config, "192.0.2.10", "sshd", "pts/1", NULL, key, sizeof key));
    assert_string_equal(key, "rhost=192.0.2.10;tty=pts/1");
    config_free(config);
}

static void country_filter(void **state)
{
    (void)state;
    struct phone_number uk, us;
    struct phonemfa_config *config = config_with("limits: { countries = [ 44 ]; };");

    assert_int_equal(phone_from_e164("+447700900123", NULL, &uk), PHONE_OK);
    assert_int_equal(phone_from_e164("+15555550117", NULL, &us), PHONE_OK);
    assert_true(policy_phone_allowed(config, &uk));
    assert_false(policy_phone_allowed(config, &us));
    config_free(config);
}

static void state_files(void **state)
{
    (void)state;
    struct user_state user_state, again;
    char error[128];
    static const char json[] =
        "{\"version\":1,\"failures\":[\"2026-11-23T10:00:00Z\"],\"sends\":[],\"locked_until\":null,"
        "\"remembered\":[{\"key\":\"rhost=192.0.2.1\",\"phones\":\"p+15555550117\",\"until\":\"2026-11-30T10:00:00Z\"}]}";

    assert_int_equal(user_state_parse(json, sizeof json - 1, &user_state, error, sizeof error), 0);
    assert_int_equal(user_state.failure_count, 1);
    assert_int_equal(user_state.remembered_count, 1);
    char *text = user_state_serialize(&user_state);
    assert_non_null(text);
    assert_int_equal(user_state_parse(text, strlen(text), &again, error, sizeof error), 0);
    assert_memory_equal(&user_state, &again, sizeof user_state);
    free(text);

    const char *bad[] = {"{}", "{\"version\":1,\"extra\":1}", "{\"version\":1,\"failures\":[5]}",
                         "{\"version\":1,\"locked_until\":\"soon\"}",
                         "{\"version\":1,\"remembered\":[{\"key\":\"a b\",\"phones\":\"p\",\"until\":\"2026-11-30T10:00:00Z\"}]}",
                         "{\"version\":1,\"remembered\":[{\"key\":\"k\"}]}", "[]", "{\"version\":1,",
                         "{\"version\":1,\"failures\":\"2026-11-23T10:00:00Z\"}",
                         "{\"version\":1,\"sends\":{}}", "{\"version\":2}", "{\"version\":\"1\"}",
                         "{\"version\":1,\"remembered\":{}}", "{\"version\":1,\"remembered\":[5]}",
                         "{\"version\":1,\"locked_until\":5}", "{\"version\":1,\"version\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (user_state_parse(bad[i], strlen(bad[i]), &again, error, sizeof error) == 0)
            fail_msg("accepted %s", bad[i]);
}

/* The state file holds at most 200 events of a kind: a longer list is refused. */
static void state_lists_are_bounded(void **state)
{
    (void)state;
    static char json[12000];
    static struct user_state parsed;
    char error[128];
    size_t used = (size_t)snprintf(json, sizeof json, "{\"version\":1,\"failures\":[");
    for (int i = 0; i < STATE_MAX_EVENTS + 1; i++)
        used += (size_t)snprintf(json + used, sizeof json - used, "%s\"2026-11-23T10:00:00Z\"", i ? "," : "");
    (void)snprintf(json + used, sizeof json - used, "]}");
    assert_int_equal(user_state_parse(json, strlen(json), &parsed, error, sizeof error), -1);
    assert_contains(error, "must be a list of at most 200 times");
}

static void pruning_keeps_the_window(void **state)
{
    (void)state;
    time_t events[] = {100, 500, 900, 1000};
    size_t count = 4;

    user_state_prune(events, &count, 1000, 500);
    assert_int_equal(count, 2);
    assert_int_equal(events[0], 900);
    assert_int_equal(events[1], 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trusted_networks_match_addresses_only),
        cmocka_unit_test(exemptions),
        cmocka_unit_test(remember_keys),
        cmocka_unit_test(country_filter),
        cmocka_unit_test(state_files),
        cmocka_unit_test(pruning_keeps_the_window),
        cmocka_unit_test(state_lists_are_bounded),
    };
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
