#include "unit_helpers.h"
#include "native_protocol.h"

#define JSON "application/json"

static int start(long status, const char *type, const char *body, struct verification *v,
                 struct verify_failure *f)
{
    return native_parse_start(status, type, body, strlen(body), v, f);
}

static void parses_a_started_verification(void **state)
{
    (void)state;
    struct verification v = {0};
    struct verify_failure f = {0};

    assert_int_equal(start(201, JSON, "{\"id\":\"vf_123\",\"mode\":\"code\",\"expires_in\":600}", &v, &f), 0);
    assert_string_equal(v.id, "vf_123");
    assert_int_equal(v.mode, VERIFY_MODE_CODE);
    assert_int_equal(start(201, "application/json; charset=utf-8",
                           "{\"id\":\"x\",\"mode\":\"call_approval\",\"future\":[1]}", &v, &f), 0);
    assert_int_equal(v.mode, VERIFY_MODE_CALL_APPROVAL);
}

static void every_field_is_type_checked(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *type;
        const char *body;
        enum verify_failure_kind kind;
        const char *detail;
    } cases[] = {
        {201, JSON, "{\"id\":7,\"mode\":\"code\"}", VERIFY_BAD_RESPONSE, "'id' missing or not a valid id"},
        {201, JSON, "{\"id\":\"a/b\",\"mode\":\"code\"}", VERIFY_BAD_RESPONSE, "not a valid id"},
        {201, JSON, "{\"id\":\"\",\"mode\":\"code\"}", VERIFY_BAD_RESPONSE, "not a valid id"},
        {201, JSON, "{\"id\":\"a\"}", VERIFY_BAD_RESPONSE, "'mode' missing"},
        {201, JSON, "{\"id\":\"a\",\"mode\":\"sms\"}", VERIFY_BAD_RESPONSE, "unknown value 'sms'"},
        {201, JSON, "{\"id\":\"a\",\"mode\":\"code\",\"expires_in\":-1}", VERIFY_BAD_RESPONSE, "expires_in"},
        {201, JSON, "{\"id\":\"a\",\"id\":\"b\",\"mode\":\"code\"}", VERIFY_BAD_RESPONSE, "malformed JSON"},
        {201, JSON, "[\"a\"]", VERIFY_BAD_RESPONSE, "not a JSON object"},
        {201, JSON, "{\"id\":\"a\",", VERIFY_BAD_RESPONSE, "malformed JSON"},
        {201, "text/html", "{\"id\":\"a\",\"mode\":\"code\"}", VERIFY_BAD_RESPONSE, "not JSON"},
        {201, "application/jsonx", "{}", VERIFY_BAD_RESPONSE, "not JSON"},
        {201, "", "{}", VERIFY_BAD_RESPONSE, "not JSON"},
        {200, JSON, "{\"id\":\"a\",\"mode\":\"code\"}", VERIFY_BAD_RESPONSE, "unexpected HTTP status 200"},
        {302, JSON, "{}", VERIFY_BAD_RESPONSE, "unexpected HTTP status 302"},
        {500, JSON, "{}", VERIFY_UNAVAILABLE, "HTTP 500"},
        {503, "text/html", "<html>", VERIFY_UNAVAILABLE, "HTTP 503"},
        {401, JSON, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"bad token\"}}", VERIFY_AUTH_FAILED,
         "HTTP 401 unauthorized: bad token"},
        {403, "text/html", "<html>", VERIFY_AUTH_FAILED, "HTTP 403"},
        {429, JSON, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow\"}}", VERIFY_RATE_LIMITED, "429"},
        {400, JSON, "{\"error\":{\"code\":\"invalid_number\",\"message\":\"x\"}}", VERIFY_INVALID_NUMBER, "400"},
        {400, JSON, "{\"error\":{\"code\":\"channel_unavailable\"}}", VERIFY_CHANNEL_UNAVAILABLE, "400"},
        {403, JSON, "{\"error\":{\"code\":\"destination_blocked\"}}", VERIFY_BLOCKED, "403"},
        {400, JSON, "{\"error\":{\"code\":\"something_new\"}}", VERIFY_REJECTED, "something_new"},
        {400, "text/html", "<html>proxy</html>", VERIFY_BAD_RESPONSE, "HTTP 400"},
        {400, JSON, "{\"error\":{\"code\":\"bad\\u0007\\n\",\"message\":\"a\\nb\"}}", VERIFY_REJECTED, "bad??: a?b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct verification v = {0};
        struct verify_failure f = {0};
        if (start(cases[i].status, cases[i].type, cases[i].body, &v, &f) == 0)
            fail_msg("case %zu accepted", i);
        if (f.kind != cases[i].kind)
            fail_msg("case %zu: kind %d, expected %d (%s)", i, f.kind, cases[i].kind, f.detail);
        assert_contains(f.detail, cases[i].detail);
    }
}

static void parses_check_results(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int ok;
        enum verify_check_result result;
    } cases[] = {
        {"{\"status\":\"approved\"}", 0, CHECK_APPROVED},
        {"{\"status\":\"wrong_code\",\"attempts_left\":2}", 0, CHECK_WRONG_CODE},
        {"{\"status\":\"expired\"}", 0, CHECK_EXPIRED},
        {"{\"status\":\"too_many_attempts\"}", 0, CHECK_TOO_MANY_ATTEMPTS},
        {"{\"status\":\"APPROVED\"}", -1, 0},
        {"{\"status\":true}", -1, 0},
        {"{\"valid\":true}", -1, 0},
        {"{\"status\":\"wrong_code\",\"attempts_left\":\"2\"}", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum verify_check_result result = CHECK_WRONG_CODE;
        struct verify_failure f = {0};
        int rc = native_parse_check(200, JSON, cases[i].body, strlen(cases[i].body), &result, &f);
        assert_int_equal(rc, cases[i].ok);
        if (rc == 0)
            assert_int_equal(result, cases[i].result);
        else
            assert_int_equal(f.kind, VERIFY_BAD_RESPONSE);
    }
    enum verify_check_result result;
    struct verify_failure f = {0};
    assert_int_equal(native_parse_check(201, JSON, "{\"status\":\"approved\"}", 21, &result, &f), -1);
}

static void parses_call_status(void **state)
{
    (void)state;
    const char *bodies[] = {"{\"status\":\"pending\"}", "{\"status\":\"approved\"}",
                            "{\"status\":\"denied\"}", "{\"status\":\"expired\"}"};
    for (int i = 0; i < 4; i++) {
        enum verify_call_status status = CALL_PENDING;
        struct verify_failure f = {0};
        assert_int_equal(native_parse_status(200, JSON, bodies[i], strlen(bodies[i]), &status, &f), 0);
        assert_int_equal(status, (enum verify_call_status)i);
    }
    enum verify_call_status status;
    struct verify_failure f = {0};
    assert_int_equal(native_parse_status(200, JSON, "{\"status\":\"answered\"}", 21, &status, &f), -1);
}

static void builds_requests(void **state)
{
    (void)state;
    struct phone_number number;
    assert_int_equal(phone_from_e164("+15555550123", "4321", &number), PHONE_OK);
    struct verify_start_request request = {.user = "al\"ice", .number = &number,
                                           .channel = VERIFY_CHANNEL_CALL, .locale = "ja"};
    char *body = native_start_body(&request);
    assert_non_null(body);
    assert_string_equal(body, "{\"user\":\"al\\\"ice\",\"to\":\"+15555550123\",\"channel\":\"call\","
                              "\"extension\":\"4321\",\"locale\":\"ja\"}");
    free(body);

    char check[64];
    assert_true(native_check_body("123456", check, sizeof check) > 0);
    assert_string_equal(check, "{\"code\":\"123456\"}");
    assert_int_equal(native_check_body("12\"}", check, sizeof check), -1);
    assert_int_equal(native_check_body("123", check, sizeof check), -1);
    assert_int_equal(native_check_body("12345678901234567", check, sizeof check), -1);
}

static void codes_and_ids(void **state)
{
    (void)state;
    assert_true(verify_code_is_well_formed("123456"));
    assert_true(verify_code_is_well_formed("AbC9"));
    assert_false(verify_code_is_well_formed("12 34"));
    assert_false(verify_code_is_well_formed(""));
    assert_true(native_id_is_valid("VE0123456789abcdef"));
    assert_false(native_id_is_valid("../x"));
    assert_false(native_id_is_valid("a?b"));
    assert_true(verify_failure_uses_failmode(VERIFY_UNAVAILABLE));
    assert_true(verify_failure_uses_failmode(VERIFY_BAD_RESPONSE));
    assert_false(verify_failure_uses_failmode(VERIFY_AUTH_FAILED));
    assert_false(verify_failure_uses_failmode(VERIFY_RATE_LIMITED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_started_verification),
        cmocka_unit_test(every_field_is_type_checked),
        cmocka_unit_test(parses_check_results),
        cmocka_unit_test(parses_call_status),
        cmocka_unit_test(builds_requests),
        cmocka_unit_test(codes_and_ids),
    };
    return cmocka_run_group_tests_name("native_protocol", tests, NULL, NULL);
}
