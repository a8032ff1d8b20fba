/* Log lines: values from outside are made safe, and text a service sent
 * loses its control characters and shows no phone number in full. */
#include "unit_helpers.h"

#include "log.h"

static void remember_line(void *context, int priority, const char *line)
{
    (void)priority;
    (void)snprintf(context, LOG_LINE_MAX, "%s", line);
}

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

static void text_that_fits_is_whole(void **state)
{
    (void)state;
    char out[32];

    log_format(out, sizeof out, "%s: %d", "fits", 42);
    assert_string_equal(out, "fits: 42");
    log_format(out, 13, "%s", "exactly 12 c");
    assert_string_equal(out, "exactly 12 c");
}

static void a_cut_is_marked(void **state)
{
    (void)state;
    char out[32];

    log_format(out, sizeof out, "%s", "SSL certificate problem: unable to get local issuer certificate");
    assert_int_equal(strlen(out), sizeof out - 1);
    assert_string_equal(out, "SSL certificate pro" LOG_TRUNCATED_MARK);
    /* Too small for the mark: nothing rather than a cut that looks whole. */
    log_format(out, 8, "%s", "more than eight");
    assert_string_equal(out, "");
}

static void a_cut_never_splits_a_character(void **state)
{
    (void)state;
    char out[16]; /* 3 bytes of text, then the mark */

    /* "é" is C3 A9: a cut after its first byte would leave half of it. */
    log_format(out, sizeof out, "%s", "ab\xc3\xa9zzzzzzzzzzzzzz");
    assert_string_equal(out, "ab" LOG_TRUNCATED_MARK);
    /* "€" is E2 82 AC: cut before it, not inside. */
    log_format(out, sizeof out, "%s", "a\xe2\x82\xac" "bbbbbbbbbbbbbbb");
    assert_string_equal(out, "a" LOG_TRUNCATED_MARK);
    log_format(out, sizeof out, "%s", "abcdefghijklmnopqrstuvwxyz");
    assert_string_equal(out, "abc" LOG_TRUNCATED_MARK);
}

static void log_lines_are_marked_when_cut(void **state)
{
    (void)state;
    char long_text[LOG_LINE_MAX + 100];
    char seen[LOG_LINE_MAX] = "";
    struct log_sink sink = {.context = seen, .emit = remember_line};

    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    log_message(&sink, LOG_ERR, "detail: %s", long_text);
    assert_int_equal(strlen(seen), LOG_LINE_MAX - 1);
    assert_contains(seen, "xxx" LOG_TRUNCATED_MARK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(service_text_is_sanitized),
        cmocka_unit_test(values_are_cleaned),
        cmocka_unit_test(text_that_fits_is_whole),
        cmocka_unit_test(a_cut_is_marked),
        cmocka_unit_test(a_cut_never_splits_a_character),
        cmocka_unit_test(log_lines_are_marked_when_cut),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
