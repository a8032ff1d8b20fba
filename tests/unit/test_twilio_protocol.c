#include "unit_helpers.h"
#include "twilio_protocol.h"
#include "url_encode.h"

#define JSON "application/json"
#define VE "VE0123456789abcdef0123456789abcdef"

static void form_encoding_keeps_plus_signs(void **state)
{
    (void)state;
    char form[TWILIO_FORM_MAX] = "";

    assert_int_equal(url_form_add(form, sizeof form, "To", "+15555550117"), 0);
    assert_int_equal(url_form_add(form, sizeof form, "Channel", "sms"), 0);
    assert_int_equal(url_form_add(form, sizeof form, "Odd", "a b&c=d/é~"), 0);
    assert_string_equal(form, "To=%2B15555550117&Channel=sms&Odd=a%20b%26c%3Dd%2F%C3%A9~");

    char small[16] = "";
    assert_int_equal(url_form_add(small, sizeof small, "To", "+15555550117"), -1);
}

static void basic_authorization(void **state)
{
    (void)state;
    char *header = twilio_basic_authorization("SKabc", "secret");
    assert_string_equal(header, "Authorization: Basic U0thYmM6c2VjcmV0");
    free(header);
    header = twilio_basic_authorization("a", "bc");
    assert_string_equal(header, "Authorization: Basic YTpiYw==");
    free(header);
    header = twilio_basic_authorization("ab", "c");
    assert_string_equal(header, "Authorization: Basic YWI6Yw==");
    free(header);
}

static void sids(void **state)
{
    (void)state;
    assert_true(twilio_sid_is_valid(VE, "VE"));
    assert_false(twilio_sid_is_valid(VE, "VA"));
    assert_false(twilio_sid_is_valid("VE0123", "VE"));
    assert_false(twilio_sid_is_valid("VE0123456789abcdef0123456789abcdeg", "VE"));
    assert_false(twilio_sid_is_valid(VE "0", "VE"));
}

static int parse(long status, const char *body, const char *to, struct twilio_answer *answer,
                 struct verify_failure *failure)
{
    return twilio_parse_verification(status, 200, 201, JSON, body, strlen(body), to, answer, failure);
}

static void parses_verification_resources(void **state)
{
    (void)state;
    struct twilio_answer answer;
    struct verify_failure failure;

    assert_int_equal(parse(201, "{\"sid\":\"" VE "\",\"status\":\"pending\",\"to\":\"+15555550117\","
                                "\"channel\":\"sms\",\"valid\":false,\"lookup\":{},\"amount\":null}",
                           "+15555550117", &answer, &failure), 0);
    assert_string_equal(answer.sid, VE);
    assert_int_equal(answer.status, TWILIO_PENDING);
    assert_int_equal(parse(200, "{\"sid\":\"" VE "\",\"status\":\"approved\",\"to\":null,\"valid\":true}",
                           NULL, &answer, &failure), 0);
    assert_int_equal(answer.status, TWILIO_APPROVED);

    const char *bad[] = {
        "{\"sid\":\"" VE "\"}",
        "{\"sid\":\"" VE "\",\"status\":\"sent\"}",
        "{\"sid\":5,\"status\":\"pending\"}",
        "{\"sid\":\"" VE "\",\"status\":\"pending\",\"to\":\"+15555550199\"}",
        "{\"sid\":\"" VE "\",\"status\":\"pending\",\"to\":15555550117}",
        "{\"sid\":\"" VE "\",\"status\":\"pending\",\"valid\":\"yes\"}",
        /* An approval is believed only when status and valid agree. */
        "{\"sid\":\"" VE "\",\"status\":\"approved\",\"valid\":false}",
        "{\"sid\":\"" VE "\",\"status\":\"approved\",\"valid\":null}",
        "{\"sid\":\"" VE "\",\"status\":\"approved\"}",
        "{\"sid\":\"" VE "\",\"status\":\"pending\",\"valid\":true}",
        "[]",
        "{\"sid\":\"" VE "\",",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(201, bad[i], "+15555550117", &answer, &failure) == 0)
            fail_msg("accepted %s", bad[i]);
        assert_int_equal(failure.kind, VERIFY_BAD_RESPONSE);
    }
}

static void maps_every_error_code(void **state)
{
    (void)state;
    static const struct {
        long status;
        long code;
        enum verify_failure_kind kind;
        const char *advice;
    } cases[] = {
        {401, 20003, VERIFY_AUTH_FAILED, "check twilio.api_key_sid"},
        {404, 20404, VERIFY_REJECTED, "check twilio.service_sid"},
        {429, 20429, VERIFY_SERVICE_BUSY, "whole account"},
        {400, 60200, VERIFY_INVALID_NUMBER, "invalid parameter"},
        {400, 60006, VERIFY_INVALID_NUMBER, "cannot be reached"},
        {403, 60205, VERIFY_CHANNEL_UNAVAILABLE, "landline"},
        {400, 60223, VERIFY_REJECTED, "channel is disabled"},
        {403, 60605, VERIFY_BLOCKED, "Geo-Permissions"},
        {403, 60410, VERIFY_CHANNEL_BLOCKED, "Fraud Guard"},
        {403, 60238, VERIFY_BLOCKED, "blocked verification creation"},
        {429, 60202, VERIFY_RATE_LIMITED, "too many code checks"},
        {429, 60203, VERIFY_RATE_LIMITED, "too many sends"},
        {429, 60212, VERIFY_RATE_LIMITED, "concurrent"},
        {400, 61234, VERIFY_REJECTED, "https://www.twilio.com/docs/errors/61234"},
        {401, 99999, VERIFY_AUTH_FAILED, "99999"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256];
        long code = 0;
        struct verify_failure failure;
        (void)snprintf(body, sizeof body, "{\"code\":%ld,\"message\":\"m\",\"more_info\":\"x\",\"status\":%ld}",
                       cases[i].code, cases[i].status);
        twilio_parse_error(cases[i].status, JSON, body, strlen(body), &code, &failure);
        assert_int_equal(code, cases[i].code);
        if (failure.kind != cases[i].kind)
            fail_msg("%ld: kind %d, expected %d", cases[i].code, failure.kind, cases[i].kind);
        assert_contains(failure.detail, cases[i].advice);
    }
    long code = 0;
    struct verify_failure failure;
    twilio_parse_error(503, "text/html", "<html>", 6, &code, &failure);
    assert_int_equal(failure.kind, VERIFY_UNAVAILABLE);
    twilio_parse_error(400, "text/html", "<html>", 6, &code, &failure);
    assert_int_equal(failure.kind, VERIFY_BAD_RESPONSE);
    twilio_parse_error(400, JSON, "{\"code\":\"60200\"}", 16, &code, &failure);
    assert_int_equal(failure.kind, VERIFY_BAD_RESPONSE);
    twilio_parse_error(302, JSON, "{}", 2, &code, &failure);
    assert_int_equal(failure.kind, VERIFY_BAD_RESPONSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(form_encoding_keeps_plus_signs),
        cmocka_unit_test(basic_authorization),
        cmocka_unit_test(sids),
        cmocka_unit_test(parses_verification_resources),
        cmocka_unit_test(maps_every_error_code),
    };
    return cmocka_run_group_tests_name("twilio_protocol", tests, NULL, NULL);
}
