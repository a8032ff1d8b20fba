/* The country picker, driven by scripted answers: this file stands in for
 * setup_read_line() (in phonemfad it is setup_relay.c, which asks the
 * client's terminal), records every prompt, and catches what the picker
 * prints on stdout. */
#include "unit_helpers.h"

#include <unistd.h>

#include "country_catalogue.h"
#include "setup_country.h"
#include "setup_terminal.h"

#define TRANSCRIPT_MAX 8192

static const char *const *script;
static size_t script_next;
static char transcript[TRANSCRIPT_MAX]; /* prompts, then what was printed */

static void note(const char *text)
{
    size_t used = strlen(transcript);
    (void)snprintf(transcript + used, sizeof transcript - used, "%s", text);
}

/* NULL in the script: the end of input. An answer of "\n" stands for a
 * line too long, "\0"-led for one holding a NUL byte. */
int setup_read_line(const char *prompt, bool hide, char *out, size_t out_size)
{
    assert_false(hide);
    fflush(stdout);
    note(prompt);
    out[0] = '\0';
    const char *answer = script[script_next];
    if (answer == NULL)
        return SETUP_INPUT_END;
    script_next++;
    note(answer);
    note("\n");
    if (strcmp(answer, "\n") == 0)
        return SETUP_INPUT_TOO_LONG;
    if (strlen(answer) >= out_size)
        return SETUP_INPUT_TOO_LONG;
    memcpy(out, answer, strlen(answer) + 1);
    return 0;
}

/* Run the picker on the answers; what it printed is appended to the
 * transcript (stdout goes to an anonymous file meanwhile). */
static int pick(const struct i18n_catalogue *catalogue, unsigned default_code, const char *const *answers,
                unsigned *code)
{
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(capture), STDOUT_FILENO) >= 0);

    script = answers;
    script_next = 0;
    transcript[0] = '\0';
    int result = setup_pick_country(catalogue, default_code, code);

    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    (void)close(saved);
    char printed[TRANSCRIPT_MAX / 2];
    rewind(capture);
    size_t length = fread(printed, 1, sizeof printed - 1, capture);
    printed[length] = '\0';
    (void)fclose(capture);
    note("--- printed:\n");
    note(printed);
    return result;
}

static void enter_takes_the_default(void **state)
{
    (void)state;
    static const char *const answers[] = {"", NULL};
    unsigned code = 0;

    assert_int_equal(pick(NULL, 81, answers, &code), 0);
    assert_int_equal(code, 81);
    assert_contains(transcript, "Country or calling code [Japan (+81)]: ");
    /* A valid code no country has: shown as it is. */
    assert_int_equal(pick(NULL, 882, answers, &code), 0);
    assert_int_equal(code, 882);
    assert_contains(transcript, "[+882]: ");
}

static void picks_by_name_and_by_code(void **state)
{
    (void)state;
    static const char *const by_name[] = {"jap", NULL};
    static const char *const by_code[] = {"+44", NULL};
    static const char *const by_iso[] = {" de ", NULL};
    static const char *const shared[] = {"1", NULL}; /* the US, Canada, Jamaica...: all +1 */
    static const char *const unlisted[] = {"+882", NULL};
    unsigned code = 0;

    assert_int_equal(pick(NULL, 0, by_name, &code), 0);
    assert_int_equal(code, 81);
    /* No default: no brackets. */
    assert_contains(transcript, "Country or calling code: jap");
    assert_contains(transcript, "Country: Japan (+81).");
    assert_int_equal(pick(NULL, 81, by_code, &code), 0);
    assert_int_equal(code, 44);
    assert_contains(transcript, "Calling code: +44.");
    assert_int_equal(pick(NULL, 81, by_iso, &code), 0);
    assert_int_equal(code, 49);
    assert_contains(transcript, "Country: Germany (+49).");
    assert_int_equal(pick(NULL, 81, shared, &code), 0);
    assert_int_equal(code, 1);
    assert_contains(transcript, "Calling code: +1.");
    assert_int_equal(pick(NULL, 81, unlisted, &code), 0);
    assert_int_equal(code, 882);
}

static void several_matches_then_a_choice(void **state)
{
    (void)state;
    static const char *const second[] = {"niger", "2", NULL};
    static const char *const enter[] = {"niger", "", NULL};
    static const char *const wrong[] = {"niger", "3", "niger", "x", "korea", "0", NULL};
    unsigned code = 0;

    assert_int_equal(pick(NULL, 81, second, &code), 0);
    assert_int_equal(code, 234);
    assert_contains(transcript, "  1) Niger (+227)\n  2) Nigeria (+234)\n");
    assert_contains(transcript, "Choose 1-2 [1]: 2");
    assert_int_equal(pick(NULL, 81, enter, &code), 0);
    assert_int_equal(code, 227);
    /* Not one of the numbers: asked anew, and the tries run out. */
    code = 0;
    assert_int_equal(pick(NULL, 81, wrong, &code), -1);
    assert_int_equal(code, 0);
    assert_contains(transcript, "Please enter a number from 1 to 2.");
}

static void no_match_then_retry(void **state)
{
    (void)state;
    static const char *const retry[] = {"atlantis", "japan", NULL};
    static const char *const hostile[] = {"\x1b[2Jzz\x07", "\xff\xfe", "\n", NULL};
    static const char *const ended[] = {"atlantis", NULL};
    unsigned code = 0;

    assert_int_equal(pick(NULL, 44, retry, &code), 0);
    assert_int_equal(code, 81);
    assert_contains(transcript, "No country matches \"atlantis\".\nType part of a country's name, or its calling code.\n");
    /* What is echoed back holds no control character. */
    code = 0;
    assert_int_equal(pick(NULL, 44, hostile, &code), -1);
    assert_int_equal(code, 0);
    assert_contains(transcript, "No country matches \"?[2Jzz?\".");
    assert_contains(transcript, "No country matches \"??\".");
    assert_contains(transcript, "Type part of a country's name, or its calling code.");
    const char *printed = strstr(transcript, "--- printed:");
    for (const char *p = printed; *p != '\0'; p++)
        assert_true(*p == '\n' || (unsigned char)*p >= 0x20);
    /* The end of input ends it. */
    assert_int_equal(pick(NULL, 44, ended, &code), -1);
}

static void too_many_matches_ask_for_more(void **state)
{
    (void)state;
    static const char *const answers[] = {"an", "japan", NULL};
    static const char *const no_default[] = {"", "", "", NULL};
    unsigned code = 0;

    assert_int_equal(pick(NULL, 0, answers, &code), 0);
    assert_int_equal(code, 81);
    assert_contains(transcript, "countries match \"an\"; type more of the name.");
    /* Enter without a default is no answer. */
    assert_int_equal(pick(NULL, 0, no_default, &code), -1);
}

static void asks_in_the_users_language(void **state)
{
    (void)state;
    struct i18n_catalogue *ja = japanese_catalogue();
    static const char *const answers[] = {"", NULL};
    static const char *const korea[] = {"朝鮮", NULL};
    static const char *const both[] = {"united", "", NULL};
    unsigned code = 0;

    assert_int_equal(pick(ja, 81, answers, &code), 0);
    assert_int_equal(code, 81);
    assert_contains(transcript, "国または国番号 [日本 (+81)]: ");
    assert_int_equal(pick(ja, 81, korea, &code), 0);
    assert_int_equal(code, 850);
    assert_int_equal(pick(ja, 44, both, &code), 0);
    assert_int_equal(code, 44);
    assert_contains(transcript, "  1) イギリス (+44)\n");
    i18n_catalogue_free(ja);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enter_takes_the_default),
        cmocka_unit_test(picks_by_name_and_by_code),
        cmocka_unit_test(several_matches_then_a_choice),
        cmocka_unit_test(no_match_then_retry),
        cmocka_unit_test(too_many_matches_ask_for_more),
        cmocka_unit_test(asks_in_the_users_language),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
