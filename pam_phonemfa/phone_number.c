#include "phone_number.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "country.h"
#include "i18n.h"

#define E164_MAX_DIGITS 15
#define NATIONAL_MIN_DIGITS 4

/* Country calling codes are prefix-free: 1 and 7 are the only one-digit
 * codes, these are the two-digit ones, every other code has three digits. */
static const unsigned short two_digit_codes[] = {
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
};

unsigned phone_country_code_length(const char *digits)
{
    if (digits[0] == '1' || digits[0] == '7')
        return 1;
    if (digits[0] == '\0' || digits[1] == '\0')
        return 0;
    unsigned two = (unsigned)(digits[0] - '0') * 10u + (unsigned)(digits[1] - '0');
    for (size_t i = 0; i < sizeof two_digit_codes / sizeof two_digit_codes[0]; i++)
        if (two_digit_codes[i] == two)
            return 2;
    return 3;
}

bool phone_country_code_is_valid(unsigned code)
{
    char digits[8];

    if (code == 0 || code > 999)
        return false;
    (void)snprintf(digits, sizeof digits, "%u", code);
    return phone_country_code_length(digits) == strlen(digits) && digits[0] != '0';
}

static bool is_separator(char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/';
}

/* Split "number ext. 123" / "number x123" / "number,123" into its parts. */
static enum phone_parse_error split_extension(const char *input, char *number, size_t number_size,
                                              char *extension)
{
    const char *marker = NULL;
    size_t marker_length = 0;
    static const char *const markers[] = {"extension", "ext.", "ext", "x", "#", ","};

    extension[0] = '\0';
    for (const char *p = input; *p != '\0' && marker == NULL; p++) {
        for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++) {
            size_t length = strlen(markers[m]);
            if (strncasecmp(p, markers[m], length) == 0) {
                marker = p;
                marker_length = length;
                break;
            }
        }
    }
    size_t number_length = marker ? (size_t)(marker - input) : strlen(input);
    if (number_length >= number_size)
        return PHONE_TOO_LONG;
    memcpy(number, input, number_length);
    number[number_length] = '\0';
    if (marker == NULL)
        return PHONE_OK;

    size_t ext_length = 0;
    for (const char *p = marker + marker_length; *p != '\0'; p++) {
        if (*p == ' ' && ext_length == 0)
            continue;
        if (*p < '0' || *p > '9')
            return PHONE_BAD_EXTENSION;
        if (ext_length >= PHONE_EXTENSION_MAX)
            return PHONE_BAD_EXTENSION;
        extension[ext_length++] = *p;
    }
    extension[ext_length] = '\0';
    return ext_length == 0 ? PHONE_BAD_EXTENSION : PHONE_OK;
}

static enum phone_parse_error check_digits(const char *digits, struct phone_number *out)
{
    size_t length = strlen(digits);

    if (length > E164_MAX_DIGITS)
        return PHONE_TOO_MANY_DIGITS;
    if (digits[0] == '0')
        return PHONE_BAD_COUNTRY_CODE;
    unsigned cc_length = phone_country_code_length(digits);
    if (cc_length == 0 || length < cc_length + NATIONAL_MIN_DIGITS)
        return PHONE_TOO_FEW_DIGITS;
    if (cc_length == 1 && digits[0] == '1') {
        /* North American numbering plan: NXX NXX XXXX. */
        if (length != 11)
            return length < 11 ? PHONE_TOO_FEW_DIGITS : PHONE_TOO_MANY_DIGITS;
        if (digits[1] < '2' || digits[4] < '2')
            return PHONE_BAD_NANP_NUMBER;
    }
    out->e164[0] = '+';
    memcpy(out->e164 + 1, digits, length + 1);
    out->country_code_digits = cc_length;
    return PHONE_OK;
}

enum phone_parse_error phone_parse(const char *input, unsigned default_country_code,
                                   struct phone_number *out)
{
    char number_part[PHONE_INPUT_MAX + 1];
    char extension[PHONE_EXTENSION_MAX + 1];
    char digits[PHONE_INPUT_MAX + 8] = ""; /* whole, so no byte past the end is ever undefined */
    size_t digit_count = 0;
    bool international = false;

    memset(out, 0, sizeof *out);
    if (input == NULL)
        return PHONE_EMPTY;
    if (strnlen(input, PHONE_INPUT_MAX + 1) > PHONE_INPUT_MAX)
        return PHONE_TOO_LONG;

    enum phone_parse_error error = split_extension(input, number_part, sizeof number_part, extension);
    if (error != PHONE_OK)
        return error;

    const char *p = number_part;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return PHONE_EMPTY;
    if (*p == '+') {
        international = true;
        p++;
    } else if (p[0] == '0' && p[1] == '0') {
        international = true; /* "00" is the international prefix almost everywhere */
        p += 2;
    }
    for (; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9') {
            if (digit_count >= E164_MAX_DIGITS + 2)
                return PHONE_TOO_MANY_DIGITS;
            digits[digit_count++] = *p;
        } else if (!is_separator(*p)) {
            return PHONE_BAD_CHARACTER;
        }
    }
    digits[digit_count] = '\0';
    if (digit_count == 0)
        return PHONE_EMPTY;

    if (!international) {
        char national[sizeof digits] = "";
        const char *rest = digits;
        if (default_country_code == 0)
            return PHONE_NO_DEFAULT_COUNTRY;
        if (default_country_code == 1) {
            if (digit_count == 11 && digits[0] == '1')
                rest++; /* "1 555 123 4517": the NANP trunk prefix */
        } else {
            /* "07700 900123": the trunk prefix is dialled nationally only
             * (country_table.c: none in Italy, "8" in Russia, "06" in
             * Hungary). */
            const char *trunk = country_trunk_prefix(default_country_code);
            size_t trunk_length = strlen(trunk);
            if (trunk_length > 0 && strncmp(digits, trunk, trunk_length) == 0)
                rest += trunk_length;
        }
        int n = snprintf(national, sizeof national, "%u%s", default_country_code, rest);
        if (n < 0 || (size_t)n >= sizeof national)
            return PHONE_TOO_MANY_DIGITS;
        memcpy(digits, national, (size_t)n + 1);
    }
    error = check_digits(digits, out);
    if (error != PHONE_OK)
        return error;
    (void)snprintf(out->extension, sizeof out->extension, "%s", extension);
    return PHONE_OK;
}

enum phone_parse_error phone_from_e164(const char *e164, const char *extension,
                                       struct phone_number *out)
{
    memset(out, 0, sizeof *out);
    if (e164 == NULL || e164[0] != '+')
        return PHONE_BAD_CHARACTER;
    size_t length = strnlen(e164, PHONE_E164_MAX + 1);
    if (length > PHONE_E164_MAX)
        return PHONE_TOO_MANY_DIGITS;
    for (size_t i = 1; i < length; i++)
        if (e164[i] < '0' || e164[i] > '9')
            return PHONE_BAD_CHARACTER;
    if (length < 2)
        return PHONE_EMPTY;
    enum phone_parse_error error = check_digits(e164 + 1, out);
    if (error != PHONE_OK)
        return error;
    if (extension != NULL) {
        size_t ext_length = strnlen(extension, PHONE_EXTENSION_MAX + 1);
        if (ext_length == 0 || ext_length > PHONE_EXTENSION_MAX)
            return PHONE_BAD_EXTENSION;
        for (size_t i = 0; i < ext_length; i++)
            if (extension[i] < '0' || extension[i] > '9')
                return PHONE_BAD_EXTENSION;
        memcpy(out->extension, extension, ext_length + 1);
    }
    return PHONE_OK;
}

void phone_mask(const struct phone_number *number, char *out, size_t out_size)
{
    size_t length = strlen(number->e164);
    size_t pos = 0;

    if (out_size < PHONE_MASK_MAX || length < 4 || number->country_code_digits == 0) {
        if (out_size > 0)
            out[0] = '\0';
        return;
    }
    out[pos++] = '+';
    for (unsigned i = 0; i < number->country_code_digits; i++)
        out[pos++] = 'X';
    out[pos++] = ' ';
    for (size_t i = 1 + number->country_code_digits; i < length; i++)
        out[pos++] = (i + 2 < length) ? 'X' : number->e164[i];
    out[pos] = '\0';
}

bool phone_parse_hint(const struct i18n_catalogue *catalogue, const char *input, unsigned default_country_code,
                      enum phone_parse_error error, char *out, size_t out_size)
{
    bool digits_wrong = error == PHONE_TOO_FEW_DIGITS || error == PHONE_TOO_MANY_DIGITS ||
                        error == PHONE_BAD_NANP_NUMBER || error == PHONE_BAD_COUNTRY_CODE;

    if (out_size > 0)
        out[0] = '\0';
    if (input == NULL || out_size == 0 || !digits_wrong || default_country_code == 0 ||
        strnlen(input, PHONE_INPUT_MAX + 1) > PHONE_INPUT_MAX)
        return false;
    /* The hint repeats the input to a terminal: printable ASCII only (a
     * number with too many digits is refused before a stray byte is seen). */
    for (const char *p = input; *p != '\0'; p++)
        if (*p < ' ' || *p > '~')
            return false;
    while (*input == ' ')
        input++;
    /* A number typed with its country code failed on its own terms. */
    if (input[0] == '+' || (input[0] == '0' && input[1] == '0'))
        return false;
    /* Typed as it is dialled at home ("07700 900123"): the example drops
     * the leading 0, the trunk prefix of most countries. */
    if (input[0] == '0')
        input++;
    int n = snprintf(out, out_size,
                     /* TRANSLATORS: said after a number was refused; the
                      * first %u is the default country calling code, then
                      * an example: another country's code and the digits
                      * that were typed (keep "+%u %s" together). */
                     T_(catalogue, "If this is not a +%u number, type it with its country code, e.g. +%u %s."),
                     default_country_code, default_country_code == 44 ? 33u : 44u, input);
    if (n < 0 || (size_t)n >= out_size) {
        out[0] = '\0';
        return false;
    }
    return true;
}

const char *phone_parse_error_text(enum phone_parse_error error)
{
    switch (error) {
    case PHONE_OK: return N_("valid");
    case PHONE_EMPTY: return N_("no number was given");
    case PHONE_TOO_LONG: return N_("the input is too long");
    case PHONE_BAD_CHARACTER: return N_("a number may contain only digits, spaces, '-', '.', '(', ')' and a leading '+'");
    case PHONE_TOO_FEW_DIGITS: return N_("the number has too few digits");
    case PHONE_TOO_MANY_DIGITS: return N_("the number has too many digits (at most 15 with the country code)");
    case PHONE_BAD_COUNTRY_CODE: return N_("the country code is not valid");
    case PHONE_BAD_NANP_NUMBER: return N_("the area code and exchange of a +1 number cannot start with 0 or 1");
    case PHONE_NO_DEFAULT_COUNTRY: return N_("start the number with + and the country code");
    case PHONE_BAD_EXTENSION: return N_("an extension is 1 to 10 digits");
    }
    return N_("invalid number");
}

unsigned phone_country_code(const struct phone_number *number)
{
    unsigned code = 0;

    for (unsigned i = 1; i <= number->country_code_digits; i++)
        code = code * 10 + (unsigned)(number->e164[i] - '0');
    return code;
}
