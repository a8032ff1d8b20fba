#include "setup_country.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "country.h"
#include "country_table.h"
#include "phone_number.h"
#include "setup_terminal.h"

#define ANSWER_MAX (COUNTRY_QUERY_MAX + 2) /* one byte more than a query: longer is refused */
#define PROMPT_MAX (COUNTRY_DISPLAY_MAX + 96)

enum outcome { PICKED, AGAIN, GIVE_UP };

/* Every match dials the same code: which of them is meant does not matter
 * to the number (+1 for the United States, Canada, Jamaica...). */
static bool one_code(const struct country *const *matches, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (matches[i]->code != matches[0]->code)
            return false;
    return true;
}

/* The numbered list and its question; Enter takes the first. */
static enum outcome choose_listed(const struct i18n_catalogue *catalogue, const struct country *const *matches,
                                  size_t count, unsigned *code)
{
    char line[COUNTRY_DISPLAY_MAX], prompt[PROMPT_MAX], answer[ANSWER_MAX];

    for (size_t i = 0; i < count; i++) {
        country_display(catalogue, matches[i], line, sizeof line);
        printf("  %zu) %s\n", i + 1, line);
    }
    /* TRANSLATORS: after a numbered list of countries; %zu is how many
     * there are. Enter takes the first. */
    (void)snprintf(prompt, sizeof prompt, T_(catalogue, "Choose 1-%zu [1]: "), count);
    int read = setup_read_line(prompt, false, answer, sizeof answer);
    if (read == SETUP_INPUT_END)
        return GIVE_UP;
    if (read == 0 && answer[0] == '\0') {
        *code = matches[0]->code;
        return PICKED;
    }
    char *end = NULL;
    long value = read == 0 && answer[0] >= '0' && answer[0] <= '9' ? strtol(answer, &end, 10) : 0;
    if (end != NULL && *end == '\0' && value >= 1 && (size_t)value <= count) {
        *code = matches[value - 1]->code;
        return PICKED;
    }
    /* TRANSLATORS: the answer to "Choose 1-N" was not one of the numbers. */
    printf(T_(catalogue, "Please enter a number from 1 to %zu.\n"), count);
    return AGAIN;
}

/* One answer to the country question. default_code may be a valid code no
 * country of the table has (phonemfa.conf allows any): it is shown as
 * "+999" then. */
static enum outcome ask_once(const struct i18n_catalogue *catalogue, unsigned default_code, unsigned *code)
{
    char shown[COUNTRY_DISPLAY_MAX], prompt[PROMPT_MAX], answer[ANSWER_MAX], echo[COUNTRY_QUERY_MAX + 1];
    const struct country *matches[COUNTRY_TABLE_MAX];
    const struct country *default_country = default_code != 0 ? country_by_code(default_code) : NULL;

    if (default_code != 0) {
        if (default_country != NULL)
            country_display(catalogue, default_country, shown, sizeof shown);
        else
            (void)snprintf(shown, sizeof shown, "+%u", default_code);
        /* TRANSLATORS: the country of a phone number; %s is the default
         * one, taken on Enter: "Japan (+81)". */
        (void)snprintf(prompt, sizeof prompt, T_(catalogue, "Country or calling code [%s]: "), shown);
    } else {
        /* TRANSLATORS: the country of a phone number, when there is no
         * default. */
        (void)snprintf(prompt, sizeof prompt, "%s", T_(catalogue, "Country or calling code: "));
    }
    int read = setup_read_line(prompt, false, answer, sizeof answer);
    if (read == SETUP_INPUT_END)
        return GIVE_UP;
    if (read != 0 || strlen(answer) > COUNTRY_QUERY_MAX) {
        /* TRANSLATORS: the answer to the country question was too long or
         * held a NUL byte. */
        printf("%s\n", T_(catalogue, "Type part of a country's name, or its calling code."));
        return AGAIN;
    }
    /* Spaces around the answer mean nothing ("de " is Germany). */
    char *query = answer + strspn(answer, " ");
    size_t length = strlen(query);
    while (length > 0 && query[length - 1] == ' ')
        query[--length] = '\0';
    if (query[0] == '\0') {
        if (default_code != 0) {
            *code = default_code;
            return PICKED;
        }
        printf("%s\n", T_(catalogue, "Type part of a country's name, or its calling code."));
        return AGAIN;
    }
    size_t count = country_search(catalogue, query, default_code, matches, sizeof matches / sizeof matches[0]);
    if (count > sizeof matches / sizeof matches[0])
        count = sizeof matches / sizeof matches[0]; /* never: every entry fits */
    country_clean_echo(query, echo, sizeof echo);
    /* A valid calling code of no country listed (+882, networks): taken as
     * the code question always took it. */
    unsigned typed = country_query_code(query);
    if (count == 0 && typed != 0 && phone_country_code_is_valid(typed)) {
        *code = typed;
        return PICKED;
    }
    if (count == 0) {
        /* TRANSLATORS: %s is what the user typed (control characters
         * shown as '?'). */
        printf(T_(catalogue, "No country matches \"%s\".\n"), echo);
        /* The same hint as for a refused line, so every wrong answer ends
         * with it. */
        printf("%s\n", T_(catalogue, "Type part of a country's name, or its calling code."));
        return AGAIN;
    }
    /* Two letters that are an ISO code ("de") mean that country: as a part
     * of a name they would match dozens. */
    const struct country *by_iso = country_by_iso(query);
    if (count == 1 || by_iso != NULL) {
        const struct country *picked = by_iso != NULL ? by_iso : matches[0];
        country_display(catalogue, picked, shown, sizeof shown);
        /* TRANSLATORS: confirms the country taken from what the user
         * typed; %s is "Japan (+81)". */
        printf(T_(catalogue, "Country: %s.\n"), shown);
        *code = picked->code;
        return PICKED;
    }
    if (one_code(matches, count)) {
        /* TRANSLATORS: every country that matched dials this code (+1
         * for the United States, Canada, Jamaica...). */
        printf(T_(catalogue, "Calling code: +%u.\n"), (unsigned)matches[0]->code);
        *code = matches[0]->code;
        return PICKED;
    }
    if (count > SETUP_COUNTRY_LIST_MAX) {
        /* TRANSLATORS: %lu countries match what the user typed (%s); too
         * many to list. */
        printf(TP_(catalogue, "%lu country matches \"%s\"; type more of its name.\n",
                   "%lu countries match \"%s\"; type more of the name.\n", count),
               (unsigned long)count, echo);
        return AGAIN;
    }
    return choose_listed(catalogue, matches, count, code);
}

int setup_pick_country(const struct i18n_catalogue *catalogue, unsigned default_code, unsigned *code)
{
    if (!phone_country_code_is_valid(default_code))
        default_code = 0;
    for (int attempt = 0; attempt < SETUP_COUNTRY_TRIES; attempt++) {
        unsigned picked = 0;
        enum outcome outcome = ask_once(catalogue, default_code, &picked);
        if (outcome == GIVE_UP)
            return -1;
        if (outcome == PICKED && phone_country_code_is_valid(picked)) {
            *code = picked;
            return 0;
        }
    }
    return -1;
}
