/* Phone numbers in E.164 form ("+" country code and national number, at most
 * 15 digits), with an optional extension dialled after an office phone
 * answers. */
#ifndef PHONEMFA_PHONE_NUMBER_H
#define PHONEMFA_PHONE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

#include "i18n.h"

#define PHONE_E164_MAX 16      /* '+' and 15 digits */
#define PHONE_EXTENSION_MAX 10 /* digits */
#define PHONE_INPUT_MAX 64     /* longest text accepted from a person */
#define PHONE_MASK_MAX 24

struct phone_number {
    char e164[PHONE_E164_MAX + 1];
    char extension[PHONE_EXTENSION_MAX + 1]; /* "" when none */
    unsigned country_code_digits;            /* 1 to 3 */
};

enum phone_parse_error {
    PHONE_OK = 0,
    PHONE_EMPTY,
    PHONE_TOO_LONG,
    PHONE_BAD_CHARACTER,
    PHONE_TOO_FEW_DIGITS,
    PHONE_TOO_MANY_DIGITS,
    PHONE_BAD_COUNTRY_CODE,
    PHONE_BAD_NANP_NUMBER,
    PHONE_NO_DEFAULT_COUNTRY,
    PHONE_BAD_EXTENSION,
};

/* Parse what a person typed ("+1 555 123 4517", "(555) 123-4517",
 * "07700 900123", "+44 20 7946 0958 ext. 123") into E.164. National input
 * uses default_country_code (0 = none configured: international only). */
enum phone_parse_error phone_parse(const char *input, unsigned default_country_code,
                                   struct phone_number *out);

/* Validate a stored E.164 string exactly ("+" then digits, nothing else). */
enum phone_parse_error phone_from_e164(const char *e164, const char *extension,
                                       struct phone_number *out);

/* "+X XXXXXXXX17": the country code and all but the last two digits hidden. */
void phone_mask(const struct phone_number *number, char *out, size_t out_size);

/* Human sentence for an error (not translated: callers translate it). */
const char *phone_parse_error_text(enum phone_parse_error error);

/* After phone_parse(input, default_country_code) failed with error: when
 * the number was typed in national form and its digits do not fit the
 * default country, how to type it instead, a sentence in the catalogue's
 * language ("If this is not a +1 number, type it with its country code,
 * e.g. +44 7700 900123.") into out. false (out "") when no hint applies.
 * Pure: reads nothing but its arguments. */
#define PHONE_HINT_MAX 384 /* room for a translation: a CJK character takes 3 bytes */
bool phone_parse_hint(const struct i18n_catalogue *catalogue, const char *input, unsigned default_country_code,
                      enum phone_parse_error error, char *out, size_t out_size);

/* The country calling code of a parsed number (44 for +447700900123). */
unsigned phone_country_code(const struct phone_number *number);

/* Number of digits of the country calling code that starts these digits. */
unsigned phone_country_code_length(const char *digits);

bool phone_country_code_is_valid(unsigned code);

#endif
