/* The world's countries and territories as a person picks one: by name (in
 * their language), by calling code or by ISO code. Also the one source of
 * the national trunk prefix phone_parse() drops ("0" of "090-1234-5678").
 *
 * The table is constant data; nothing here keeps state, so any thread may
 * search it. */
#ifndef PHONEMFA_COUNTRY_H
#define PHONEMFA_COUNTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "i18n.h"

struct country {
    char iso[3];          /* ISO 3166-1 alpha-2, upper case ("JP"; "XK", "AC", "TA" as ITU uses them) */
    unsigned short code;  /* E.164 country calling code (81) */
    bool secondary;       /* shares its code and is not the one it is known for (CA for +1) */
    const char *name;     /* English, the msgid of context "country" */
    const char *trunk;    /* dialled before a national number at home only: "0", "", "8", "06" */
    const char *also;     /* other English names searched, not shown ("USA America"); "" when none */
};

/* Longest query looked at (bytes): a name is shorter, and more is refused. */
#define COUNTRY_QUERY_MAX 64
/* "Bosnia and Herzegovina (+387)" in any language, with room to spare. */
#define COUNTRY_DISPLAY_MAX 160

size_t country_count(void);
/* The index-th entry of the table (NULL past the end). */
const struct country *country_at(size_t index);

/* "jp", "JP" → Japan; NULL when none. */
const struct country *country_by_iso(const char *iso);
/* The country a calling code is known for (US for 1, GB for 44, RU for 7);
 * NULL when no country has it. */
const struct country *country_by_code(unsigned code);

/* The countries query names, best first, up to max of them into matches;
 * returns how many match in all (more than max when some were left out).
 * query: part of the English or the translated name (ASCII letters in any
 * case), the calling code with or without '+' ("81", "+81", whole), or the
 * ISO code ("jp"); spaces around it are ignored. An empty, overlong (more
 * than COUNTRY_QUERY_MAX bytes) or NULL query matches nothing.
 * Order: the country of default_code (0: none) when it matches, then exact
 * answers (the code's own country, the ISO code, the whole name), then
 * other countries of that code, names starting with the query, names
 * containing it; each group alphabetical by the name shown. */
size_t country_search(const struct i18n_catalogue *catalogue, const char *query, unsigned default_code,
                      const struct country **matches, size_t max);

/* The calling code a query is ("81", "+81", " +1 "), whether a country has
 * it or not; 0 when the query is not a calling code. */
unsigned country_query_code(const char *query);

/* The name as the user reads it ("日本" for Japan in Japanese). */
const char *country_name(const struct i18n_catalogue *catalogue, const struct country *country);
/* "Japan (+81)", "日本 (+81)" into out (cut at a character boundary). */
void country_display(const struct i18n_catalogue *catalogue, const struct country *country, char *out,
                     size_t out_size);

/* What a person typed, fit to be shown back on their terminal: well-formed
 * UTF-8 without control characters stays, every other byte becomes '?';
 * cut at a character boundary to fit out (out_size > 0). */
void country_clean_echo(const char *text, char *out, size_t out_size);

/* The trunk prefix of a calling code ("0" when no country has it: the most
 * common one, and harmless where no national number starts with 0). */
const char *country_trunk_prefix(unsigned code);

#endif
