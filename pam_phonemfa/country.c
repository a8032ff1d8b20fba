#include "country.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "country_table.h"
#include "utf8.h"

size_t country_count(void)
{
    return country_table_size;
}

const struct country *country_at(size_t index)
{
    return index < country_table_size ? &country_table[index] : NULL;
}

/* A byte in lower case, for matching names: ASCII letters, and the
 * Latin-1 letters of UTF-8 (À-Þ: C3 80-9E, but × C3 97) so that
 * "österreich" finds "Österreich". Not the C library's tolower(): it
 * follows the process locale, and no other byte of a UTF-8 name may change.
 * previous: the byte before c in its own string (0 at the start). */
static char fold(char previous, char c)
{
    unsigned char byte = (unsigned char)c;

    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    if ((unsigned char)previous == 0xc3 && byte >= 0x80 && byte <= 0x9e && byte != 0x97)
        return (char)(byte + 0x20);
    return c;
}

static bool equal_folded(const char *a, const char *b)
{
    char previous_a = 0, previous_b = 0;

    for (; *a != '\0' && *b != '\0'; previous_a = *a++, previous_b = *b++)
        if (fold(previous_a, *a) != fold(previous_b, *b))
            return false;
    return *a == *b;
}

static bool starts_folded(const char *text, const char *prefix, size_t prefix_length)
{
    for (size_t i = 0; i < prefix_length; i++)
        if (text[i] == '\0' ||
            fold(i > 0 ? text[i - 1] : 0, text[i]) != fold(i > 0 ? prefix[i - 1] : 0, prefix[i]))
            return false;
    return true;
}

/* Where needle (of length needle_length, > 0) starts in text, ASCII letters
 * in any case and every other byte as it is; -1 when nowhere. */
static long find_folded(const char *text, const char *needle, size_t needle_length)
{
    for (const char *p = text; *p != '\0'; p++)
        if (starts_folded(p, needle, needle_length))
            return (long)(p - text);
    return -1;
}

const struct country *country_by_iso(const char *iso)
{
    if (iso == NULL || strnlen(iso, 3) != 2)
        return NULL;
    for (size_t i = 0; i < country_table_size; i++)
        if (equal_folded(country_table[i].iso, iso))
            return &country_table[i];
    return NULL;
}

const struct country *country_by_code(unsigned code)
{
    for (size_t i = 0; i < country_table_size; i++)
        if (country_table[i].code == code && !country_table[i].secondary)
            return &country_table[i];
    return NULL;
}

const char *country_trunk_prefix(unsigned code)
{
    const struct country *country = country_by_code(code);
    return country != NULL ? country->trunk : "0";
}

const char *country_name(const struct i18n_catalogue *catalogue, const struct country *country)
{
    return TC_(catalogue, "country", country->name);
}

/* The length of the well-formed UTF-8 character at text (1 to 4), or 0 when
 * the bytes there are not one, or are a control character (C0, DEL, C1). */
static size_t printable_character(const unsigned char *text)
{
    uint32_t point;
    size_t size = utf8_character(text, strnlen((const char *)text, 4), &point);

    return size > 0 && !utf8_is_control(point) ? size : 0;
}

void country_clean_echo(const char *text, char *out, size_t out_size)
{
    size_t used = 0;

    if (out_size == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)(text != NULL ? text : ""); *p != '\0';) {
        size_t length = printable_character(p);
        const char *piece = length > 0 ? (const char *)p : "?";
        size_t piece_length = length > 0 ? length : 1;
        if (used + piece_length >= out_size)
            break;
        memcpy(out + used, piece, piece_length);
        used += piece_length;
        p += piece_length;
    }
    out[used] = '\0';
}

void country_display(const struct i18n_catalogue *catalogue, const struct country *country, char *out,
                     size_t out_size)
{
    char whole[COUNTRY_DISPLAY_MAX * 2];

    if (out_size == 0)
        return;
    /* TRANSLATORS: a country in the country picker: its name and its
     * calling code, "Japan (+81)". */
    (void)snprintf(whole, sizeof whole, T_(catalogue, "%s (+%u)"), country_name(catalogue, country),
                   (unsigned)country->code);
    /* Cut whole characters only: the translated name comes from a checked
     * catalogue and stays well-formed. */
    country_clean_echo(whole, out, out_size);
}

/* -- search ------------------------------------------------------------------------ */

enum rank {
    RANK_DEFAULT,     /* the country of the default code */
    RANK_EXACT,       /* the code's own country, the ISO code, the whole name */
    RANK_SAME_CODE,   /* another country dialling that code */
    RANK_NAME_PREFIX, /* a name starts with the query */
    RANK_NAME_PART,   /* a name contains it */
    RANK_NONE,
};

struct query {
    const char *text;
    size_t length;
    unsigned code; /* 0: not a calling code */
};

/* "81", "+81", "+ 81": a calling code typed whole. */
static unsigned query_code(const char *text, size_t length)
{
    if (length > COUNTRY_QUERY_MAX)
        return 0;
    size_t i = 0;
    unsigned code = 0;

    if (i < length && text[i] == '+')
        i++;
    while (i < length && text[i] == ' ')
        i++;
    /* No code starts with 0: "081" is not Japan's. */
    if (i == length || length - i > 3 || text[i] == '0')
        return 0;
    for (; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        code = code * 10 + (unsigned)(text[i] - '0');
    }
    return code;
}

unsigned country_query_code(const char *query)
{
    if (query == NULL || strnlen(query, COUNTRY_QUERY_MAX + 1) > COUNTRY_QUERY_MAX)
        return 0;
    while (*query == ' ')
        query++;
    size_t length = strlen(query);
    while (length > 0 && query[length - 1] == ' ')
        length--;
    return query_code(query, length);
}

/* How one name (English, translated or another English name) answers. */
static enum rank name_rank(const char *name, const struct query *query)
{
    long at = find_folded(name, query->text, query->length);

    if (at < 0)
        return RANK_NONE;
    if (at == 0 && name[query->length] == '\0')
        return RANK_EXACT;
    return at == 0 ? RANK_NAME_PREFIX : RANK_NAME_PART;
}

/* The "also" names are words and phrases separated by spaces: each word is
 * matched as a name of its own ("UK"), and the whole list too ("Ivory
 * Coast"). */
static enum rank also_rank(const char *also, const struct query *query)
{
    char word[COUNTRY_QUERY_MAX + 1];

    for (const char *p = also; *p != '\0';) {
        size_t length = strcspn(p, " ");
        if (length == query->length && length < sizeof word) {
            memcpy(word, p, length);
            word[length] = '\0';
            if (equal_folded(word, query->text))
                return RANK_EXACT;
        }
        p += length;
        p += *p == ' ';
    }
    return name_rank(also, query);
}

static enum rank better(enum rank a, enum rank b)
{
    return a < b ? a : b;
}

static enum rank country_rank(const struct i18n_catalogue *catalogue, const struct country *country,
                              const struct query *query, const struct country *default_country)
{
    enum rank rank = RANK_NONE;

    if (query->code != 0 && country->code == query->code)
        rank = country->secondary ? RANK_SAME_CODE : RANK_EXACT;
    if (query->length == 2 && equal_folded(country->iso, query->text))
        rank = RANK_EXACT;
    if (query->code == 0) {
        rank = better(rank, name_rank(country->name, query));
        rank = better(rank, name_rank(country_name(catalogue, country), query));
        rank = better(rank, also_rank(country->also, query));
    }
    if (rank != RANK_NONE && country == default_country)
        rank = RANK_DEFAULT;
    return rank;
}

struct match {
    const struct country *country;
    enum rank rank;
    const char *shown;
};

static bool before(const struct match *a, const struct match *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank;
    return strcmp(a->shown, b->shown) < 0;
}

size_t country_search(const struct i18n_catalogue *catalogue, const char *query_text, unsigned default_code,
                      const struct country **matches, size_t max)
{
    struct match found[COUNTRY_TABLE_MAX];
    size_t count = 0;

    if (query_text == NULL || strnlen(query_text, COUNTRY_QUERY_MAX + 1) > COUNTRY_QUERY_MAX)
        return 0;
    while (*query_text == ' ')
        query_text++;
    size_t length = strlen(query_text);
    while (length > 0 && query_text[length - 1] == ' ')
        length--;
    if (length == 0)
        return 0;
    char trimmed[COUNTRY_QUERY_MAX + 1];
    memcpy(trimmed, query_text, length);
    trimmed[length] = '\0';
    struct query query = {trimmed, length, query_code(trimmed, length)};
    const struct country *default_country = default_code != 0 ? country_by_code(default_code) : NULL;

    for (size_t i = 0; i < country_table_size && count < sizeof found / sizeof found[0]; i++) {
        enum rank rank = country_rank(catalogue, &country_table[i], &query, default_country);
        if (rank == RANK_NONE)
            continue;
        /* Insertion sort: a few hundred entries at most. */
        struct match match = {&country_table[i], rank, country_name(catalogue, &country_table[i])};
        size_t at = count++;
        while (at > 0 && before(&match, &found[at - 1])) {
            found[at] = found[at - 1];
            at--;
        }
        found[at] = match;
    }
    for (size_t i = 0; i < count && i < max; i++)
        matches[i] = found[i].country;
    return count;
}
