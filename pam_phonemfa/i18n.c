/* A reader of GNU .mo catalogues (the format msgfmt writes, documented in
 * the GNU gettext manual, "The Format of GNU MO Files"): a header, a table
 * of the original strings sorted by strcmp, a table of their translations,
 * each entry a 32-bit length and offset. Everything is checked once when the
 * catalogue is read, so a lookup is a binary search over checked strings. */
#include "i18n.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MO_MAGIC 0x950412deu
#define MO_MAGIC_SWAPPED 0xde120495u
#define MO_HEADER_WORDS 7
#define MO_MAX_STRINGS 100000u

/* How the translation of a count is chosen: the plural rules of the
 * languages we know, named by the expression their Plural-Forms header
 * carries. A catalogue with any other rule is refused rather than
 * evaluated: a formula in a file is a program. */
enum plural_rule {
    PLURAL_ONE_FORM,    /* nplurals=1; plural=0;  (ja, zh, ko, vi) */
    PLURAL_NOT_ONE,     /* nplurals=2; plural=(n != 1);  (en, de, nl, sv, it, es) */
    PLURAL_MORE_THAN_1, /* nplurals=2; plural=(n > 1);  (fr, pt-BR) */
};

struct mo_string {
    const char *text;
    size_t length; /* of the whole entry: plural forms are NUL-separated inside */
};

struct i18n_catalogue {
    unsigned char *data; /* the file's bytes, owned */
    size_t count;
    struct mo_string *originals;
    struct mo_string *translations;
    enum plural_rule plural;
    unsigned forms;
};

/* ASCII only, whatever the process's locale: the module runs inside su
 * and sudo, which set the invoking user's (setlocale(LC_ALL, "")), and
 * <ctype.h> and strcasecmp() would follow it. */
static bool ascii_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ascii_alnum(char c)
{
    return ascii_alpha(c) || (c >= '0' && c <= '9');
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char ascii_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool ascii_equal_folded(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return false;
    return *a == *b;
}

static int fail(struct i18n_error *error, const char *reason)
{
    if (error != NULL)
        (void)snprintf(error->message, sizeof error->message, "%s", reason);
    return -1;
}

static uint32_t word_at(const unsigned char *data, size_t offset, bool swapped)
{
    uint32_t value;

    memcpy(&value, data + offset, sizeof value);
    if (swapped)
        value = ((value & 0xffu) << 24) | ((value & 0xff00u) << 8) | ((value >> 8) & 0xff00u) | (value >> 24);
    return value;
}

/* Well-formed UTF-8 without control characters other than newline and tab:
 * a catalogue's text reaches terminals. (An original may hold EOT, gettext's
 * separator between a context and its msgid.) */
static bool text_is_clean(const unsigned char *text, size_t length, bool original)
{
    for (size_t i = 0; i < length;) {
        uint32_t point;
        size_t size = utf8_character(text + i, length - i, &point);

        if (size == 0)
            return false;
        /* NUL separates the forms of a plural. */
        if (utf8_is_control(point) && point != '\n' && point != '\t' && point != 0 && !(original && point == 0x04))
            return false;
        i += size;
    }
    return true;
}

static int read_table(const unsigned char *data, size_t length, size_t table, size_t count, bool swapped,
                      struct mo_string *strings, struct i18n_error *error)
{
    if (table > length || count > (length - table) / 8)
        return fail(error, "a string table lies outside the file");
    for (size_t i = 0; i < count; i++) {
        uint32_t size = word_at(data, table + i * 8, swapped);
        uint32_t offset = word_at(data, table + i * 8 + 4, swapped);

        if (offset > length || size >= length - offset || data[offset + size] != '\0')
            return fail(error, "a string lies outside the file or is not terminated");
        strings[i].text = (const char *)data + offset;
        strings[i].length = size;
    }
    return 0;
}

struct span {
    size_t offset, size;
    bool original;
};

static int by_offset(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return (int)x->original - (int)y->original;
}

/* Every string is checked once, and no two overlap unless they are the
 * same string: a file of thousands of entries all pointing into one long
 * string would otherwise be scanned thousands of times over (a catalogue
 * is read for each login). The work is bounded by the file's length. */
static int check_strings(const struct i18n_catalogue *catalogue, struct i18n_error *error)
{
    size_t count = catalogue->count * 2;
    struct span *spans = calloc(count + 1, sizeof *spans);
    int result = -1;

    if (spans == NULL)
        return fail(error, "out of memory");
    for (size_t i = 0; i < catalogue->count; i++) {
        spans[2 * i] = (struct span){(size_t)(catalogue->originals[i].text - (const char *)catalogue->data),
                                     catalogue->originals[i].length, true};
        spans[2 * i + 1] = (struct span){(size_t)(catalogue->translations[i].text - (const char *)catalogue->data),
                                         catalogue->translations[i].length, false};
    }
    qsort(spans, count, sizeof *spans, by_offset);
    for (size_t i = 0; i < count; i++) {
        /* Sorted translations first: a string shared by both is checked
         * by the stricter rule of translations. */
        if (i > 0 && spans[i].offset == spans[i - 1].offset && spans[i].size == spans[i - 1].size)
            continue;
        if (i > 0 && spans[i].offset <= spans[i - 1].offset + spans[i - 1].size) {
            (void)fail(error, "two strings overlap");
            goto out;
        }
        if (!text_is_clean(catalogue->data + spans[i].offset, spans[i].size, spans[i].original)) {
            (void)fail(error, "a string is not clean UTF-8 text");
            goto out;
        }
    }
    result = 0;
out:
    free(spans);
    return result;
}

/* The header entry (the translation of ""): the charset must be UTF-8 and
 * the plural rule one we know. */
static int read_header(struct i18n_catalogue *catalogue, struct i18n_error *error)
{
    const char *header = NULL;
    char expression[64];
    size_t used = 0;

    if (catalogue->count > 0 && catalogue->originals[0].length == 0)
        header = catalogue->translations[0].text;
    if (header == NULL || strstr(header, "charset=UTF-8") == NULL)
        return fail(error, "the catalogue does not say charset=UTF-8");
    const char *forms = strstr(header, "Plural-Forms:");
    if (forms == NULL) {
        catalogue->plural = PLURAL_NOT_ONE;
        catalogue->forms = 2;
        return 0;
    }
    for (const char *p = forms + strlen("Plural-Forms:"); *p != '\0' && *p != '\n'; p++) {
        if (*p == ' ' || *p == '\t' || *p == '(' || *p == ')')
            continue;
        if (used + 1 >= sizeof expression)
            return fail(error, "the Plural-Forms header is too long");
        expression[used++] = *p;
    }
    expression[used] = '\0';
    if (strcmp(expression, "nplurals=1;plural=0;") == 0) {
        catalogue->plural = PLURAL_ONE_FORM;
        catalogue->forms = 1;
    } else if (strcmp(expression, "nplurals=2;plural=n!=1;") == 0) {
        catalogue->plural = PLURAL_NOT_ONE;
        catalogue->forms = 2;
    } else if (strcmp(expression, "nplurals=2;plural=n>1;") == 0) {
        catalogue->plural = PLURAL_MORE_THAN_1;
        catalogue->forms = 2;
    } else {
        return fail(error, "the Plural-Forms rule is not one phonemfa knows");
    }
    return 0;
}

int i18n_catalogue_parse(const unsigned char *data, size_t length, struct i18n_catalogue **out,
                         struct i18n_error *error)
{
    struct i18n_catalogue *catalogue = NULL;
    int result = -1;

    *out = NULL;
    if (length < MO_HEADER_WORDS * 4)
        return fail(error, "too short for a .mo file");
    uint32_t magic = word_at(data, 0, false);
    bool swapped = magic == MO_MAGIC_SWAPPED;
    if (magic != MO_MAGIC && !swapped)
        return fail(error, "not a .mo file");
    if ((word_at(data, 4, swapped) >> 16) != 0)
        return fail(error, "an unknown .mo format revision");
    uint32_t count = word_at(data, 8, swapped);
    if (count > MO_MAX_STRINGS)
        return fail(error, "too many strings");

    catalogue = calloc(1, sizeof *catalogue);
    if (catalogue == NULL)
        return fail(error, "out of memory");
    catalogue->data = malloc(length + 1);
    catalogue->originals = calloc(count + 1u, sizeof *catalogue->originals);
    catalogue->translations = calloc(count + 1u, sizeof *catalogue->translations);
    if (catalogue->data == NULL || catalogue->originals == NULL || catalogue->translations == NULL) {
        (void)fail(error, "out of memory");
        goto out;
    }
    memcpy(catalogue->data, data, length);
    catalogue->data[length] = '\0';
    catalogue->count = count;
    if (read_table(catalogue->data, length, word_at(data, 12, swapped), count, swapped, catalogue->originals,
                   error) != 0 ||
        read_table(catalogue->data, length, word_at(data, 16, swapped), count, swapped, catalogue->translations,
                   error) != 0 ||
        check_strings(catalogue, error) != 0)
        goto out;
    for (size_t i = 1; i < count; i++)
        if (strcmp(catalogue->originals[i - 1].text, catalogue->originals[i].text) >= 0) {
            (void)fail(error, "the original strings are not sorted");
            goto out;
        }
    if (read_header(catalogue, error) != 0)
        goto out;
    *out = catalogue;
    catalogue = NULL;
    result = 0;
out:
    i18n_catalogue_free(catalogue);
    return result;
}

void i18n_catalogue_free(struct i18n_catalogue *catalogue)
{
    if (catalogue == NULL)
        return;
    free(catalogue->data);
    free(catalogue->originals);
    free(catalogue->translations);
    free(catalogue);
}

/* The entry whose original (up to its first NUL: a plural entry holds
 * "singular\0plural") is key. */
static const struct mo_string *find(const struct i18n_catalogue *catalogue, const char *key, size_t *index)
{
    size_t low = 0, high = catalogue->count;

    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp(key, catalogue->originals[middle].text);

        if (order == 0) {
            *index = middle;
            return &catalogue->translations[middle];
        }
        if (order < 0)
            high = middle;
        else
            low = middle + 1;
    }
    return NULL;
}

/* The conversions of a printf format, in order ("%s", "%zu", "%%"
 * skipped): a translation must have the very same ones. */
static bool next_conversion(const char **cursor, char *spec, size_t spec_size)
{
    const char *p = *cursor;

    for (;;) {
        p = strchr(p, '%');
        if (p == NULL)
            return false;
        if (p[1] == '%') {
            p += 2;
            continue;
        }
        size_t used = 0;
        p++;
        while (*p != '\0' && strchr("diouxXeEfFgGaAcspn", *p) == NULL) {
            if (used + 2 < spec_size)
                spec[used++] = *p;
            p++;
        }
        if (*p == '\0') {
            spec[0] = '!'; /* a dangling '%': never equal to a real one */
            spec[1] = '\0';
            *cursor = p;
            return true;
        }
        spec[used++] = *p++;
        spec[used] = '\0';
        *cursor = p;
        return true;
    }
}

static bool same_conversions(const char *msgid, const char *msgstr)
{
    const char *a = msgid, *b = msgstr;
    char spec_a[16], spec_b[16];

    for (;;) {
        bool more_a = next_conversion(&a, spec_a, sizeof spec_a);
        bool more_b = next_conversion(&b, spec_b, sizeof spec_b);

        if (more_a != more_b)
            return false;
        if (!more_a)
            return true;
        if (strcmp(spec_a, spec_b) != 0 || spec_a[0] == '!')
            return false;
    }
}

static const char *checked(const char *msgid, const char *msgstr)
{
    if (msgstr == NULL || msgstr[0] == '\0' || !same_conversions(msgid, msgstr))
        return msgid;
    return msgstr;
}

const char *i18n_text(const struct i18n_catalogue *catalogue, const char *msgid)
{
    size_t index;

    if (catalogue == NULL || msgid == NULL || msgid[0] == '\0')
        return msgid;
    const struct mo_string *found = find(catalogue, msgid, &index);
    /* A plural entry found by its singular is not a plain translation. */
    if (found == NULL || strlen(catalogue->originals[index].text) != catalogue->originals[index].length)
        return msgid;
    return checked(msgid, found->text);
}

static unsigned long english_form(unsigned long n)
{
    return n == 1 ? 0 : 1;
}

const char *i18n_plural(const struct i18n_catalogue *catalogue, const char *singular, const char *plural,
                        unsigned long n)
{
    const char *english = english_form(n) == 0 ? singular : plural;
    size_t index;

    if (catalogue == NULL)
        return english;
    const struct mo_string *found = find(catalogue, singular, &index);
    if (found == NULL)
        return english;
    const struct mo_string *original = &catalogue->originals[index];
    if (strlen(original->text) == original->length ||
        strcmp(original->text + strlen(original->text) + 1, plural) != 0)
        return english;

    unsigned long form = 0;
    switch (catalogue->plural) {
    case PLURAL_ONE_FORM: form = 0; break;
    case PLURAL_NOT_ONE: form = n != 1; break;
    case PLURAL_MORE_THAN_1: form = n > 1; break;
    }
    const char *text = found->text;
    const char *end = found->text + found->length;
    for (unsigned long k = 0; k < form; k++) {
        text += strlen(text) + 1;
        if (text >= end)
            return english;
    }
    return checked(english, text);
}

const char *i18n_context_text(const struct i18n_catalogue *catalogue, const char *context, const char *msgid)
{
    char key[512];
    size_t index;

    if (catalogue == NULL || msgid == NULL)
        return msgid;
    int length = snprintf(key, sizeof key, "%s\004%s", context, msgid);
    if (length < 0 || (size_t)length >= sizeof key)
        return msgid;
    const struct mo_string *found = find(catalogue, key, &index);
    if (found == NULL || strlen(catalogue->originals[index].text) != catalogue->originals[index].length)
        return msgid;
    return checked(msgid, found->text);
}

bool i18n_tag_is_valid(const char *tag)
{
    size_t i = 0;

    if (tag == NULL)
        return false;
    while (tag[i] >= 'a' && tag[i] <= 'z')
        i++;
    if (i < 2 || i > 3)
        return false;
    if (tag[i] == '\0')
        return true;
    if (tag[i] != '-')
        return false;
    size_t rest = strlen(tag + i + 1);
    if (rest < 2 || rest > 8)
        return false;
    for (const char *p = tag + i + 1; *p != '\0'; p++)
        if (!ascii_alnum(*p))
            return false;
    return true;
}

bool i18n_tag_from_preference(const char *text, char tag[I18N_TAG_MAX])
{
    size_t used = 0;
    const char *p = text;

    tag[0] = '\0';
    while (*p == ' ' || *p == '\t')
        p++;
    /* The language in lower case, a region in upper case and a script in
     * title case, as services expect them (Twilio: "pt-BR", "zh-Hant"). */
    bool region = false;
    size_t part = 0;
    for (; *p != '\0' && *p != ',' && *p != ';' && *p != ' ' && *p != '\t'; p++) {
        if (used + 1 >= I18N_TAG_MAX)
            break;
        char c = *p == '_' ? '-' : *p;
        if (c == '-') {
            if (region) {
                used = 0; /* only language[-region]: what login.locale takes */
                break;
            }
            region = true;
            part = 0;
            tag[used++] = c;
            continue;
        }
        if (!ascii_alnum(c)) {
            used = 0;
            break;
        }
        tag[used++] = region && part == 0 ? ascii_upper(c) : ascii_lower(c);
        part++;
    }
    if (used + 1 >= I18N_TAG_MAX)
        used = 0;
    tag[used] = '\0';
    /* Two letters are a region, all upper case ("GB"); four a script ("Hant"). */
    char *dash = strchr(tag, '-');
    if (dash != NULL && strlen(dash + 1) == 2)
        for (char *q = dash + 1; *q != '\0'; q++)
            *q = ascii_upper(*q);
    if (!i18n_tag_is_valid(tag)) {
        tag[0] = '\0';
        return false;
    }
    return true;
}

const char *i18n_pick_language(const char *record_tag, const char *default_tag)
{
    if (record_tag != NULL && record_tag[0] != '\0')
        return record_tag;
    if (default_tag != NULL && default_tag[0] != '\0')
        return default_tag;
    return NULL;
}

bool i18n_answer_is_yes(const struct i18n_catalogue *catalogue, const char *answer)
{
    /* TRANSLATORS: the word a user types to answer yes to a [y/N] question
     * (y and yes are always accepted too). One word, as typed. */
    const char *word = T_(catalogue, "yes");
    bool ascii = word[0] != '\0' && ascii_alpha(word[0]);

    for (const char *p = word; ascii && *p != '\0'; p++)
        ascii = ascii_alpha(*p);
    return ascii_equal_folded(answer, "y") || ascii_equal_folded(answer, "yes") ||
           (answer[0] != '\0' && ascii_equal_folded(answer, word)) ||
           (ascii && ascii_lower(word[0]) != 'n' && answer[0] != '\0' && answer[1] == '\0' &&
            ascii_lower(answer[0]) == ascii_lower(word[0]));
}

/* For a fault only an administrator can fix (the configuration, the phone
 * store, the state): the user learns that much and no more; the detail is
 * in the log. Shared by the module and phonemfad so they say it alike. */
const char *i18n_unavailable_here(const struct i18n_catalogue *catalogue)
{
    return T_(catalogue, "Phone verification is unavailable on this system; contact your administrator.");
}
