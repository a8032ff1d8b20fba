/* Log lines: values from outside are made safe, and text a service sent
 * loses its control characters and shows no phone number in full. */
#include "unit_helpers.h"

#include "log.h"

static void sanitized(const char *input, const char *expected)
{
    char text[256];

    (void)snprintf(text, sizeof text, "%s", input);
    log_sanitize_service_text(text);
    if (strcmp(text, expected) != 0)
        fail_msg("'%s' became '%s', expected '%s'", input, text, expected);
}

static void service_text_is_sanitized(void **state)
{
    (void)state;
    sanitized("unknown value '\x1b]0;owned\x07\x1b[2J'", "unknown value '?]0;owned??[2J'");
    sanitized("line\nbreak\r\x7f", "line?break??");
    sanitized("csi \xc2\x9b" "2J", "csi ??2J");
    sanitized("Invalid parameter To: +15555550117", "Invalid parameter To: +XXXXXXXXX17");
    sanitized("number +44 7700 900123 is blocked", "number +XX XXXX XXXX23 is blocked");
    sanitized("call (555) 555-0117 now", "call (XXX) XXX-XX17 now");
    sanitized("447700900123", "XXXXXXXXXX23");
    /* Whatever stands around the number. */
    sanitized("To=%2B15555550117", "To=%2BXXXXXXXXX17");
    sanitized("id15555550117x", "idXXXXXXXXX17x");
    sanitized("1.555.555.0117 or +1/555/5550117", "X.XXX.XXX.XX17 or +X/XXX/XXXXX17");
    /* Not phone numbers: short runs, addresses and ports. */
    sanitized("HTTP 503 after 15000 ms", "HTTP 503 after 15000 ms");
    sanitized("https://127.0.0.1:8443/v1", "https://127.0.0.1:8443/v1");
    sanitized("https://192.168.100.200/x", "https://192.168.100.200/x");
    sanitized("code 60200", "code 60200");
    /* Identifiers lose their long digit runs: better than a number in the clear. */
    sanitized("sid VE123456789abc", "sid VEXXXXXXX89abc");
    sanitized("", "");
}

static void values_are_cleaned(void **state)
{
    (void)state;
    char out[16];

    log_clean_value(out, sizeof out, "a b=\"c\"\\");
    assert_string_equal(out, "a?b??c??");
    log_clean_value(out, sizeof out, NULL);
    assert_string_equal(out, "-");
    log_clean_value(out, sizeof out, "0123456789abcdefXYZ");
    assert_string_equal(out, "0123456789abcde");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(service_text_is_sanitized),
        cmocka_unit_test(values_are_cleaned),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
