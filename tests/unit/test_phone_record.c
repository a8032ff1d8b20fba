#include "unit_helpers.h"
#include "phone_record.h"

static const char valid_record[] =
    "{\"version\": 1, \"phones\": {"
    " \"primary\": {\"number\": \"+15555550117\", \"channels\": [\"text\", \"call\"],"
    "  \"verified_by\": \"text\", \"verified_at\": \"2026-11-01T10:00:00Z\","
    "  \"added_by\": \"alice\", \"added_at\": \"2026-11-01T09:59:00Z\"},"
    " \"office\": {\"number\": \"+15555550123\", \"extension\": \"4321\", \"channels\": [\"call\"],"
    "  \"verified_by\": \"none\", \"verified_at\": null,"
    "  \"added_by\": \"root\", \"added_at\": \"2026-11-02T08:00:00Z\"}},"
    " \"preferred\": {\"slot\": \"office\", \"channel\": \"call\"}}";

static void parses_a_valid_record(void **state)
{
    (void)state;
    struct phone_record record;
    struct phone_record_error error;

    if (phone_record_parse(valid_record, sizeof valid_record - 1, &record, &error) != 0)
        fail_msg("%s", error.message);
    assert_true(record.phones[SLOT_PRIMARY].present);
    assert_false(record.phones[SLOT_ALTERNATE].present);
    assert_string_equal(record.phones[SLOT_OFFICE].number.extension, "4321");
    assert_int_equal(record.phones[SLOT_PRIMARY].channels, CHANNEL_TEXT | CHANNEL_CALL);
    assert_int_equal(record.phones[SLOT_OFFICE].verified_by, VERIFIED_NONE);
    assert_string_equal(record.phones[SLOT_OFFICE].added_by, "root");
    assert_true(record.has_preferred);
    assert_int_equal(record.preferred_slot, SLOT_OFFICE);
}

static void round_trips_through_json(void **state)
{
    (void)state;
    struct phone_record record, again;
    struct phone_record_error error;

    assert_int_equal(phone_record_parse(valid_record, sizeof valid_record - 1, &record, &error), 0);
    char *json = phone_record_serialize(&record, &error);
    assert_non_null(json);
    assert_int_equal(phone_record_parse(json, strlen(json), &again, &error), 0);
    assert_memory_equal(&record, &again, sizeof record);
    free(json);
}

static void rejects_broken_records(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *error;
    } cases[] = {
        {"", "not valid JSON"},
        {"[]", "not a JSON object"},
        {"{\"version\": 1, \"version\": 1, \"phones\": {}}", "not valid JSON"},
        {"{\"version\": \"1\", \"phones\": {}}", "version: must be 1"},
        {"{\"version\": 1}", "phones: missing"},
        {"{\"version\": 1, \"phones\": {}}", "no phone registered"},
        {"{\"version\": 1, \"phones\": {\"primary\": 5}}", "phones.primary: must be an object"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\", \"call\"],"
         "\"verified_by\": \"call\", \"verified_at\": \"2026-11-01T10:00:00Z\", \"added_by\": \"a\","
         "\"added_at\": \"2026-11-01T10:00:00Z\"}}}", "channel listed twice"},
        {"{\"version\": 1, \"phones\": {\"office\": {\"number\": \"+15555550117\", \"channels\": [\"text\"],"
         "\"verified_by\": \"none\", \"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}}}",
         "an office phone takes calls only"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"extension\": \"12\","
         "\"channels\": [\"call\"], \"verified_by\": \"none\", \"added_by\": \"a\","
         "\"added_at\": \"2026-11-01T10:00:00Z\"}}}", "only the office phone may have an extension"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\"],"
         "\"verified_by\": \"text\", \"verified_at\": \"2026-11-01T10:00:00Z\", \"added_by\": \"a\","
         "\"added_at\": \"2026-11-01T10:00:00Z\"}}}", "verified by text but cannot take texts"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\"],"
         "\"verified_by\": \"none\", \"verified_at\": \"2026-11-01T10:00:00Z\", \"added_by\": \"a\","
         "\"added_at\": \"2026-11-01T10:00:00Z\"}}}", "must be null for an unverified phone"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\"],"
         "\"verified_by\": \"none\", \"added_by\": \"a\", \"added_at\": \"2026-02-31T10:00:00Z\"}}}",
         "added_at: must be a UTC time"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\"],"
         "\"verified_by\": \"none\", \"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}},"
         "\"preferred\": {\"slot\": \"primary\", \"channel\": \"text\"}}", "preferred: names a phone"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\"],"
         "\"verified_by\": \"none\", \"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}},"
         "\"preferred\": {\"slot\": \"primary\"}}", "preferred: must be"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\"], \"verified_by\": \"none\", \"colour\": 1,"
         "\"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}}}", "phones.primary: unknown field 'colour'"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": 15555550117, \"channels\": [\"call\"], \"verified_by\": \"none\","
         "\"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}}}", "phones.primary.number: missing or not a string"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"extension\": 12, \"channels\": [\"call\"], \"verified_by\": \"none\","
         "\"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}}}", "phones.primary.extension: not a string"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\"], \"verified_by\": \"sms\","
         "\"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}}}", "phones.primary.verified_by: must be"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [], \"verified_by\": \"none\","
         "\"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}}}", "phones.primary.channels: must be a list"},
        {"{\"version\": 1, \"phones\": {\"primary\": {\"number\": \"+15555550117\", \"channels\": [\"call\"],"
         "\"verified_by\": \"none\", \"added_by\": \"a\", \"added_at\": \"2026-11-01T10:00:00Z\"}},"
         "\"preferred\": {\"slot\": \"fax\", \"channel\": \"call\"}}", "preferred: must be {"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct phone_record record;
        struct phone_record_error error;
        if (phone_record_parse(cases[i].json, strlen(cases[i].json), &record, &error) == 0)
            fail_msg("accepted case %zu", i);
        assert_contains(error.message, cases[i].error);
    }
}

static void a_language_is_kept_and_must_be_a_tag(void **state)
{
    (void)state;
    struct phone_record record, again;
    struct phone_record_error error;
    char text[2048];

    /* Absent: the administrator's default. */
    assert_int_equal(phone_record_parse(valid_record, sizeof valid_record - 1, &record, &error), 0);
    assert_string_equal(record.language, "");
    char *json = phone_record_serialize(&record, &error);
    assert_non_null(json);
    assert_null(strstr(json, "language"));
    free(json);

    snprintf(text, sizeof text, "%.*s, \"language\": \"pt-BR\"}", (int)(sizeof valid_record - 2), valid_record);
    if (phone_record_parse(text, strlen(text), &record, &error) != 0)
        fail_msg("%s", error.message);
    assert_string_equal(record.language, "pt-BR");
    json = phone_record_serialize(&record, &error);
    assert_non_null(json);
    assert_int_equal(phone_record_parse(json, strlen(json), &again, &error), 0);
    assert_string_equal(again.language, "pt-BR");
    free(json);

    static const char *const bad[] = {"\"ja_JP.UTF-8\"", "\"../ja\"", "\"\"", "5", "[\"ja\"]", "\"JA\"",
                                      "\"ja-\\u001b\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%.*s, \"language\": %s}", (int)(sizeof valid_record - 2), valid_record, bad[i]);
        assert_int_equal(phone_record_parse(text, strlen(text), &record, &error), -1);
        assert_contains(error.message, "language");
    }
    /* A tag set in memory is checked before it is written. */
    assert_int_equal(phone_record_parse(valid_record, sizeof valid_record - 1, &record, &error), 0);
    snprintf(record.language, sizeof record.language, "x y");
    assert_null(phone_record_serialize(&record, &error));
}

static void times_are_strict_utc(void **state)
{
    (void)state;
    time_t when;
    char text[21];

    assert_true(phone_record_parse_time("2026-11-23T18:00:00Z", &when));
    phone_record_format_time(when, text);
    assert_string_equal(text, "2026-11-23T18:00:00Z");
    assert_false(phone_record_parse_time("2026-11-23 18:00:00Z", &when));
    assert_false(phone_record_parse_time("2026-11-23T18:00:00+01:00", &when));
    assert_false(phone_record_parse_time("2026-13-01T00:00:00Z", &when));
    assert_false(phone_record_parse_time("2026-02-29T00:00:00Z", &when));
    /* Written while the clock read 1970 (before NTP): read back all the same. */
    for (time_t early = 0; early < 1000000000; early += 86400 * 365) {
        phone_record_format_time(early, text);
        assert_true(phone_record_parse_time(text, &when));
        assert_int_equal(when, early);
    }
    assert_false(phone_record_parse_time("1969-12-31T23:59:59Z", &when));
}

static void refuses_oversized_input(void **state)
{
    (void)state;
    struct phone_record record;
    struct phone_record_error error;
    size_t size = PHONE_RECORD_MAX_BYTES + 10;
    char *big = malloc(size);
    assert_non_null(big);
    memset(big, ' ', size);
    assert_int_equal(phone_record_parse(big, size, &record, &error), -1);
    assert_contains(error.message, "larger than");
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_valid_record),
        cmocka_unit_test(round_trips_through_json),
        cmocka_unit_test(rejects_broken_records),
        cmocka_unit_test(a_language_is_kept_and_must_be_a_tag),
        cmocka_unit_test(times_are_strict_utc),
        cmocka_unit_test(refuses_oversized_input),
    };
    return cmocka_run_group_tests_name("phone_record", tests, NULL, NULL);
}
