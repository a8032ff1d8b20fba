/* The language a user reads, without the C library's locales.
 *
 * Every user-visible string is looked up in a catalogue passed explicitly:
 * the one of the login or the enrollment being served. phonemfad serves many
 * users at once, each in their own language, from threads of one process, and
 * a stock server has no locale but C generated; so the translations are read
 * straight from the standard gettext .mo files of the text domain
 * (pam_phonemfa), never through setlocale(), LANG or LANGUAGE, which belong to
 * the process (and, in su, to the caller).
 *
 * A NULL catalogue is English: the msgids are the English text. */
#ifndef PHONEMFA_I18N_H
#define PHONEMFA_I18N_H

#include <stdbool.h>
#include <stddef.h>

#define PHONEMFA_TEXT_DOMAIN "pam_phonemfa"
/* Where make install and the package put the catalogues (texts.translations
 * in phonemfa.conf, translations= of the module, say otherwise). */
#ifndef PHONEMFA_LOCALEDIR
#define PHONEMFA_LOCALEDIR "/usr/share/locale"
#endif

/* A language tag as login.locale and the phone record take it: "ja",
 * "de", "pt-BR" (language, optionally "-" and a region or script). */
#define I18N_TAG_MAX 16
#define I18N_ERROR_MAX 640

struct i18n_catalogue;

struct i18n_error {
    char message[I18N_ERROR_MAX];
};

/* Marks a string for xgettext; it is looked up later, where it is shown. */
#define N_(s) (s)
/* Marks a string with a context for xgettext (country names: "country"). */
#define NC_(context, s) (s)

/* The lookups. A string with conversions (%s, %u) is returned translated
 * only when the translation has exactly the same conversions in the same
 * order: a catalogue can never change what printf reads. */
const char *i18n_text(const struct i18n_catalogue *catalogue, const char *msgid) __attribute__((format_arg(2)));
const char *i18n_plural(const struct i18n_catalogue *catalogue, const char *singular, const char *plural,
                        unsigned long n) __attribute__((format_arg(2))) __attribute__((format_arg(3)));
const char *i18n_context_text(const struct i18n_catalogue *catalogue, const char *context, const char *msgid)
    __attribute__((format_arg(3)));

#define T_(catalogue, s) i18n_text((catalogue), (s))
#define TP_(catalogue, singular, plural, n) i18n_plural((catalogue), (singular), (plural), (unsigned long)(n))
#define TC_(catalogue, context, s) i18n_context_text((catalogue), (context), (s))

/* "ja", "pt-BR": lower-case language of 2-3 letters, optionally '-' and
 * 2-8 letters or digits. */
bool i18n_tag_is_valid(const char *tag);

/* The catalogue of tag under localedir (LOCALEDIR/ll_CC/LC_MESSAGES/
 * pam_phonemfa.mo, else LOCALEDIR/ll/...). tag NULL, or no catalogue for it:
 * *catalogue = NULL (English) and 0. A catalogue that exists but is not
 * root's, is not a .mo file, is not UTF-8 or is damaged: -1 and error (the
 * caller denies: it is a fault of the installation, and a half-read
 * catalogue could show anything). */
int i18n_catalogue_load(const char *localedir, const char *tag, struct i18n_catalogue **catalogue,
                        struct i18n_error *error);
/* The same from the bytes of a .mo file (tests, fuzzing). */
int i18n_catalogue_parse(const unsigned char *data, size_t length, struct i18n_catalogue **catalogue,
                         struct i18n_error *error);
void i18n_catalogue_free(struct i18n_catalogue *catalogue);

/* The first language of a preference list as a directory keeps it
 * (preferredLanguage, RFC 2798: the form of HTTP's Accept-Language, such as
 * "ja, en-gb;q=0.8") as a tag: "ja", "en-GB". false when the first entry is
 * not a language tag ("*", garbage): the caller uses the default. */
bool i18n_tag_from_preference(const char *text, char tag[I18N_TAG_MAX]);

/* The language an enrolled user reads: their own preference (record_tag,
 * from the phone record or the directory), else the administrator's default
 * (login.locale), else NULL (English, and no language is asked of the
 * verification service). Never the environment of any process. */
const char *i18n_pick_language(const char *record_tag, const char *default_tag);

/* The answer to a [y/N] question is yes: y or yes in any case, the
 * language's own word for yes ("はい", "ja"), or, where that word is
 * ASCII, its first letter ("j") as people type it. */
bool i18n_answer_is_yes(const struct i18n_catalogue *catalogue, const char *answer);

/* "Phone verification is unavailable on this system; contact your
 * administrator.", translated. */
const char *i18n_unavailable_here(const struct i18n_catalogue *catalogue);

#endif
