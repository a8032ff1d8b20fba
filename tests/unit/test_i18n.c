/* The .mo reader: lookups, plurals, contexts, both byte orders, and every
 * way a damaged catalogue is refused. The catalogues are built here, byte by
 * byte, as msgfmt lays them out. */
#include "unit_helpers.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"

struct entry {
    const char *original; /* may hold NULs: give length */
    size_t original_length;
    const char *translation;
    size_t translation_length;
};

#define E(o, t) {o, sizeof(o) - 1, t, sizeof(t) - 1}

static const char JA_HEADER[] = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=1; plural=0;\n";
static const char DE_HEADER[] =
    "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n";
static const char FR_HEADER[] = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n > 1);\n";

static void put_word(unsigned char *out, uint32_t value, bool big_endian)
{
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(big_endian ? value >> (24 - 8 * i) : value >> (8 * i));
}

/* entries must be sorted by original, the header ("") first. */
static unsigned char *build_mo(const struct entry *entries, size_t count, bool big_endian, size_t *length)
{
    size_t strings = 0;
    for (size_t i = 0; i < count; i++)
        strings += entries[i].original_length + 1 + entries[i].translation_length + 1;
    size_t originals = 28, translations = originals + count * 8, data = translations + count * 8;
    *length = data + strings;
    unsigned char *mo = calloc(1, *length);
    assert_non_null(mo);
    put_word(mo, 0x950412deu, big_endian);
    put_word(mo + 4, 0, big_endian);
    put_word(mo + 8, (uint32_t)count, big_endian);
    put_word(mo + 12, (uint32_t)originals, big_endian);
    put_word(mo + 16, (uint32_t)translations, big_endian);
    size_t at = data;
    for (size_t i = 0; i < count; i++) {
        put_word(mo + originals + i * 8, (uint32_t)entries[i].original_length, big_endian);
        put_word(mo + originals + i * 8 + 4, (uint32_t)at, big_endian);
        memcpy(mo + at, entries[i].original, entries[i].original_length);
        at += entries[i].original_length + 1;
    }
    for (size_t i = 0; i < count; i++) {
        put_word(mo + translations + i * 8, (uint32_t)entries[i].translation_length, big_endian);
        put_word(mo + translations + i * 8 + 4, (uint32_t)at, big_endian);
        memcpy(mo + at, entries[i].translation, entries[i].translation_length);
        at += entries[i].translation_length + 1;
    }
    return mo;
}

static struct i18n_catalogue *load(const struct entry *entries, size_t count, bool big_endian)
{
    size_t length;
    unsigned char *mo = build_mo(entries, count, big_endian, &length);
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error error = {{0}};

    if (i18n_catalogue_parse(mo, length, &catalogue, &error) != 0)
        fail_msg("refused: %s", error.message);
    free(mo);
    return catalogue;
}

static const char *refusal(const struct entry *entries, size_t count)
{
    static char message[I18N_ERROR_MAX];
    size_t length;
    unsigned char *mo = build_mo(entries, count, false, &length);
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error error = {{0}};

    assert_int_equal(i18n_catalogue_parse(mo, length, &catalogue, &error), -1);
    assert_null(catalogue);
    free(mo);
    snprintf(message, sizeof message, "%s", error.message);
    return message;
}

static const struct entry JA[] = {
    E("", JA_HEADER),
    E("Call %s", "%s に電話"),
    E("Choose 1-%zu [%zu]: ", "番号 1-%zu [%zu]: "),
    E("Text %s", "%s%d"), /* other conversions: never used */
    E("Verify your identity:", "本人確認:"),
    E("Wrong code, %u attempt left.\0Wrong code, %u attempts left.", "残り %u 回"),
    E("country\004Japan", "日本"),
};

static void translations_are_found_and_everything_else_is_english(void **state)
{
    (void)state;
    struct i18n_catalogue *ja = load(JA, sizeof JA / sizeof JA[0], false);

    assert_string_equal(T_(ja, "Verify your identity:"), "本人確認:");
    assert_string_equal(T_(ja, "Call %s"), "%s に電話");
    assert_string_equal(T_(ja, "Choose 1-%zu [%zu]: "), "番号 1-%zu [%zu]: ");
    assert_string_equal(T_(ja, "Not in the catalogue"), "Not in the catalogue");
    assert_string_equal(T_(NULL, "Verify your identity:"), "Verify your identity:");
    assert_string_equal(T_(ja, ""), "");
    /* A plural entry is not a plain translation, and a context entry is
     * found only with its context. */
    assert_string_equal(T_(ja, "Wrong code, %u attempt left."), "Wrong code, %u attempt left.");
    assert_string_equal(T_(ja, "Japan"), "Japan");
    assert_string_equal(TC_(ja, "country", "Japan"), "日本");
    assert_string_equal(TC_(ja, "other", "Japan"), "Japan");
    assert_string_equal(TC_(NULL, "country", "Japan"), "Japan");
    i18n_catalogue_free(ja);
}

static void a_translation_with_other_conversions_is_never_used(void **state)
{
    (void)state;
    struct i18n_catalogue *ja = load(JA, sizeof JA / sizeof JA[0], false);

    assert_string_equal(T_(ja, "Text %s"), "Text %s");
    i18n_catalogue_free(ja);

    static const struct entry swapped[] = {
        E("", DE_HEADER),
        E("%s and %u", "%u und %s"),
        E("%s%%", "%s%% %%"),
        E("50%", "50 %n"),
        E("Done", "Fertig %s"),
    };
    struct i18n_catalogue *de = load(swapped, sizeof swapped / sizeof swapped[0], false);
    assert_string_equal(T_(de, "%s and %u"), "%s and %u");
    assert_string_equal(T_(de, "%s%%"), "%s%% %%");
    assert_string_equal(T_(de, "50%"), "50%");
    assert_string_equal(T_(de, "Done"), "Done");
    i18n_catalogue_free(de);
}

static void plurals_follow_the_languages_rule(void **state)
{
    (void)state;
    struct i18n_catalogue *ja = load(JA, sizeof JA / sizeof JA[0], false);
    const char *one = "Wrong code, %u attempt left.", *many = "Wrong code, %u attempts left.";

    for (unsigned long n = 0; n < 4; n++)
        assert_string_equal(TP_(ja, one, many, n), "残り %u 回");
    assert_string_equal(TP_(NULL, one, many, 1), one);
    assert_string_equal(TP_(NULL, one, many, 0), many);
    assert_string_equal(TP_(NULL, one, many, 2), many);
    /* The plural must match too: another plural is another message. */
    assert_string_equal(TP_(ja, one, "Wrong codes", 2), "Wrong codes");
    i18n_catalogue_free(ja);

    static const struct entry de_entries[] = {
        E("", DE_HEADER),
        E("%u day\0%u days", "%u Tag\0%u Tage"),
        E("%u minute\0%u minutes", "%u Minute"), /* a form missing */
    };
    struct i18n_catalogue *de = load(de_entries, 3, false);
    assert_string_equal(TP_(de, "%u day", "%u days", 1), "%u Tag");
    assert_string_equal(TP_(de, "%u day", "%u days", 0), "%u Tage");
    assert_string_equal(TP_(de, "%u day", "%u days", 2), "%u Tage");
    assert_string_equal(TP_(de, "%u minute", "%u minutes", 1), "%u Minute");
    assert_string_equal(TP_(de, "%u minute", "%u minutes", 5), "%u minutes");
    i18n_catalogue_free(de);

    static const struct entry fr_entries[] = {
        E("", FR_HEADER),
        E("%u day\0%u days", "%u jour\0%u jours"),
    };
    struct i18n_catalogue *fr = load(fr_entries, 2, false);
    assert_string_equal(TP_(fr, "%u day", "%u days", 0), "%u jour");
    assert_string_equal(TP_(fr, "%u day", "%u days", 1), "%u jour");
    assert_string_equal(TP_(fr, "%u day", "%u days", 2), "%u jours");
    i18n_catalogue_free(fr);
}

static void big_endian_catalogues_are_read_too(void **state)
{
    (void)state;
    struct i18n_catalogue *ja = load(JA, sizeof JA / sizeof JA[0], true);

    assert_string_equal(T_(ja, "Verify your identity:"), "本人確認:");
    assert_string_equal(TC_(ja, "country", "Japan"), "日本");
    i18n_catalogue_free(ja);
}

static void damaged_catalogues_are_refused(void **state)
{
    (void)state;
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error error;
    size_t length;
    unsigned char *mo = build_mo(JA, sizeof JA / sizeof JA[0], false, &length);

    unsigned char *copy;

    /* Every truncation. */
    for (size_t cut = 0; cut < length; cut++) {
        assert_int_equal(i18n_catalogue_parse(mo, cut, &catalogue, &error), -1);
        assert_null(catalogue);
    }
    /* Wrong magic, an unknown major revision, an offset past the end. */
    copy = malloc(length);
    memcpy(copy, mo, length);
    copy[0] ^= 1;
    assert_int_equal(i18n_catalogue_parse(copy, length, &catalogue, &error), -1);
    assert_contains(error.message, "not a .mo file");
    memcpy(copy, mo, length);
    copy[6] = 1;
    assert_int_equal(i18n_catalogue_parse(copy, length, &catalogue, &error), -1);
    assert_contains(error.message, "revision");
    memcpy(copy, mo, length);
    put_word(copy + 28 + 4, (uint32_t)length + 10, false);
    assert_int_equal(i18n_catalogue_parse(copy, length, &catalogue, &error), -1);
    assert_contains(error.message, "outside the file");
    memcpy(copy, mo, length);
    put_word(copy + 8, 0xffffffffu, false);
    assert_int_equal(i18n_catalogue_parse(copy, length, &catalogue, &error), -1);
    free(copy);
    free(mo);

    /* Strings that overlap: thousands of entries pointing into one long
     * string would be scanned again and again. */
    mo = build_mo(JA, sizeof JA / sizeof JA[0], false, &length);
    copy = malloc(length);
    memcpy(copy, mo, length);
    /* The second translation made the tail of the first: a string inside
     * another, terminated by the same NUL. */
    uint32_t first_size = (uint32_t)copy[28 + 7 * 8] | (uint32_t)copy[28 + 7 * 8 + 1] << 8;
    uint32_t first = (uint32_t)copy[28 + 7 * 8 + 4] | (uint32_t)copy[28 + 7 * 8 + 5] << 8 |
                     (uint32_t)copy[28 + 7 * 8 + 6] << 16 | (uint32_t)copy[28 + 7 * 8 + 7] << 24;
    put_word(copy + 28 + 7 * 8 + 8, first_size - 1, false);
    put_word(copy + 28 + 7 * 8 + 8 + 4, first + 1, false);
    assert_int_equal(i18n_catalogue_parse(copy, length, &catalogue, &error), -1);
    assert_contains(error.message, "overlap");
    free(copy);
    free(mo);

    static const struct entry unsorted[] = {
        E("", JA_HEADER), E("b", "x"), E("a", "y")};
    assert_contains(refusal(unsorted, 3), "not sorted");
    static const struct entry latin1[] = {
        E("", "Content-Type: text/plain; charset=ISO-8859-1\n"), E("a", "\xe9")};
    assert_contains(refusal(latin1, 2), "UTF-8");
    static const struct entry no_header[] = {E("a", "b")};
    assert_contains(refusal(no_header, 1), "charset=UTF-8");
    static const struct entry bad_utf8[] = {E("", JA_HEADER), E("a", "\xe6\x97")};
    assert_contains(refusal(bad_utf8, 2), "UTF-8");
    static const struct entry overlong[] = {E("", JA_HEADER), E("a", "\xc0\xaf")};
    assert_contains(refusal(overlong, 2), "UTF-8");
    static const struct entry escape[] = {E("", JA_HEADER), E("a", "\x1b[2J")};
    assert_contains(refusal(escape, 2), "clean");
    static const struct entry c1[] = {E("", JA_HEADER), E("a", "\302\2332J")};
    assert_contains(refusal(c1, 2), "clean");
    static const char formula[] = "Content-Type: text/plain; charset=UTF-8\n"
                                  "Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : 1);\n";
    static const struct entry unknown_rule[] = {{"", 0, formula, sizeof formula - 1}};
    assert_contains(refusal(unknown_rule, 1), "Plural-Forms");
}

static void tags_are_checked_and_the_users_own_language_wins(void **state)
{
    (void)state;
    static const char *const good[] = {"ja", "de", "en", "pt-BR", "zh-Hant", "yue", "es-419"};
    static const char *const bad[] = {"", "j", "JA", "ja_JP", "ja-", "ja-J", "ja-JP.UTF-8", "../../etc",
                                      "ja-123456789", "jpan", "ja JP", "ja\n"};

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(i18n_tag_is_valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(i18n_tag_is_valid(bad[i]));
    assert_false(i18n_tag_is_valid(NULL));
    assert_string_equal(i18n_pick_language("ja", "de"), "ja");
    assert_string_equal(i18n_pick_language("", "de"), "de");
    assert_string_equal(i18n_pick_language(NULL, "de"), "de");
    assert_null(i18n_pick_language("", NULL));
    assert_null(i18n_pick_language(NULL, ""));
}

static void a_directorys_preference_list_gives_its_first_language(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"ja", "ja"}, {"ja-JP", "ja-JP"}, {"en-gb, en;q=0.8", "en-GB"}, {" pt_br;q=1", "pt-BR"},
        {"zh-hant", "zh-Hant"}, {"DE", "de"}, {"es-419,es", "es-419"},
    };
    static const char *const refused[] = {"", "*", "*;q=0.1", "j", "ja-JP-x-private", "日本語", "ja\x1b[2J",
                                          "abcdefghijklmnopqrstuvwxyz", "-ja", "ja--JP", "1a"};
    char tag[I18N_TAG_MAX];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(i18n_tag_from_preference(cases[i][0], tag));
        assert_string_equal(tag, cases[i][1]);
    }
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_false(i18n_tag_from_preference(refused[i], tag));
        assert_string_equal(tag, "");
    }
}

static void yes_is_y_yes_or_the_languages_own_word(void **state)
{
    (void)state;
    static const char *const english_yes[] = {"y", "Y", "yes", "YES", "Yes"};
    static const char *const english_no[] = {"", "n", "no", "ye", "yes ", " y", "j", "oui", "はい"};
    static const struct entry de_entries[] = {E("", DE_HEADER), E("yes", "ja")};
    static const struct entry ja_entries[] = {E("", JA_HEADER), E("yes", "はい")};
    struct i18n_catalogue *de = load(de_entries, 2, false);
    struct i18n_catalogue *ja = load(ja_entries, 2, false);

    for (size_t i = 0; i < sizeof english_yes / sizeof english_yes[0]; i++) {
        assert_true(i18n_answer_is_yes(NULL, english_yes[i]));
        assert_true(i18n_answer_is_yes(de, english_yes[i]));
        assert_true(i18n_answer_is_yes(ja, english_yes[i]));
    }
    for (size_t i = 0; i < sizeof english_no / sizeof english_no[0]; i++)
        assert_false(i18n_answer_is_yes(NULL, english_no[i]));
    assert_true(i18n_answer_is_yes(de, "ja"));
    assert_true(i18n_answer_is_yes(de, "JA"));
    assert_true(i18n_answer_is_yes(de, "j"));
    assert_false(i18n_answer_is_yes(de, "nein"));
    assert_false(i18n_answer_is_yes(de, "n"));
    assert_false(i18n_answer_is_yes(de, "jx"));
    assert_true(i18n_answer_is_yes(ja, "はい"));
    assert_false(i18n_answer_is_yes(ja, "は"));
    assert_false(i18n_answer_is_yes(ja, "いいえ"));
    i18n_catalogue_free(de);
    i18n_catalogue_free(ja);
}

static void loading_finds_the_region_then_the_language_and_absent_is_english(void **state)
{
    (void)state;
    struct i18n_catalogue *catalogue = (struct i18n_catalogue *)1;
    struct i18n_error error;

    assert_int_equal(i18n_catalogue_load("/nonexistent", "ja", &catalogue, &error), 0);
    assert_null(catalogue);
    assert_int_equal(i18n_catalogue_load("/nonexistent", NULL, &catalogue, &error), 0);
    assert_null(catalogue);
    assert_int_equal(i18n_catalogue_load("/nonexistent", "../x", &catalogue, &error), -1);

    const char *tmp = getenv("TMPDIR");
    char template[4096];
    snprintf(template, sizeof template, "%s/phonemfa-i18n-XXXXXX", tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    assert_non_null(mkdtemp(template));
    char path[4200];
    snprintf(path, sizeof path, "%s/pt", template);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/pt/LC_MESSAGES", template);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(chmod(template, 0755), 0);
    snprintf(path, sizeof path, "%s/pt/LC_MESSAGES/pam_phonemfa.mo", template);
    size_t length;
    unsigned char *mo = build_mo(JA, sizeof JA / sizeof JA[0], false, &length);
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(mo, 1, length, file), length);
    assert_int_equal(fclose(file), 0);
    free(mo);

    /* pt-BR has no catalogue of its own: pt's is taken. */
    assert_int_equal(i18n_catalogue_load(template, "pt-BR", &catalogue, &error), 0);
    assert_non_null(catalogue);
    assert_string_equal(T_(catalogue, "Verify your identity:"), "本人確認:");
    i18n_catalogue_free(catalogue);
    /* Writable by others: refused, not read. */
    assert_int_equal(chmod(path, 0666), 0);
    assert_int_equal(i18n_catalogue_load(template, "pt", &catalogue, &error), -1);
    assert_null(catalogue);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/pt/LC_MESSAGES", template);
    assert_int_equal(rmdir(path), 0);
    snprintf(path, sizeof path, "%s/pt", template);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(template), 0);
}

struct worker {
    const struct i18n_catalogue *catalogue;
    const char *expected;
    bool ok;
};

static void *look_up_many_times(void *argument)
{
    struct worker *worker = argument;

    worker->ok = true;
    for (int i = 0; i < 20000; i++)
        if (strcmp(T_(worker->catalogue, "Verify your identity:"), worker->expected) != 0)
            worker->ok = false;
    return NULL;
}

static void catalogues_are_read_only_and_shared_safely_between_threads(void **state)
{
    (void)state;
    struct i18n_catalogue *ja = load(JA, sizeof JA / sizeof JA[0], false);
    static const struct entry de_entries[] = {
        E("", DE_HEADER), E("Verify your identity:", "Identität:")};
    struct i18n_catalogue *de = load(de_entries, 2, false);
    struct worker workers[6] = {
        {ja, "本人確認:", false}, {de, "Identität:", false}, {NULL, "Verify your identity:", false},
        {ja, "本人確認:", false}, {de, "Identität:", false}, {NULL, "Verify your identity:", false},
    };
    pthread_t threads[6];

    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, look_up_many_times, &workers[i]), 0);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_true(workers[i].ok);
    }
    i18n_catalogue_free(ja);
    i18n_catalogue_free(de);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(translations_are_found_and_everything_else_is_english),
        cmocka_unit_test(a_translation_with_other_conversions_is_never_used),
        cmocka_unit_test(plurals_follow_the_languages_rule),
        cmocka_unit_test(big_endian_catalogues_are_read_too),
        cmocka_unit_test(damaged_catalogues_are_refused),
        cmocka_unit_test(tags_are_checked_and_the_users_own_language_wins),
        cmocka_unit_test(a_directorys_preference_list_gives_its_first_language),
        cmocka_unit_test(yes_is_y_yes_or_the_languages_own_word),
        cmocka_unit_test(loading_finds_the_region_then_the_language_and_absent_is_english),
        cmocka_unit_test(catalogues_are_read_only_and_shared_safely_between_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
