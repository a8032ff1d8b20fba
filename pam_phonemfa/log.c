#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void log_vformat(char *dest, size_t dest_size, const char *format, va_list args)
{
    static const char mark[] = LOG_TRUNCATED_MARK;

    if (dest_size == 0)
        return;
    int written = vsnprintf(dest, dest_size, format, args);
    if (written < 0) {
        dest[0] = '\0';
        return;
    }
    if ((size_t)written < dest_size)
        return;
    if (dest_size < sizeof mark) {
        dest[0] = '\0'; /* no room to say it was cut: say nothing */
        return;
    }
    size_t cut = dest_size - sizeof mark;
    /* A UTF-8 continuation byte (10xxxxxx) at the cut: its character
     * began before, and goes too. */
    while (cut > 0 && ((unsigned char)dest[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(dest + cut, mark, sizeof mark);
}

void log_format(char *dest, size_t dest_size, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    log_vformat(dest, dest_size, format, args);
    va_end(args);
}

void log_message(const struct log_sink *sink, int priority, const char *format, ...)
{
    char line[LOG_LINE_MAX];
    va_list args;

    if (sink == NULL || sink->emit == NULL)
        return;
    va_start(args, format);
    log_vformat(line, sizeof line, format, args);
    va_end(args);
    if (line[0] == '\0')
        return;
    sink->emit(sink->context, priority, line);
}

void log_clean_value(char *dest, size_t dest_size, const char *value)
{
    size_t out = 0;

    if (dest_size == 0)
        return;
    if (value == NULL || value[0] == '\0') {
        (void)snprintf(dest, dest_size, "-");
        return;
    }
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0' && out + 1 < dest_size; p++) {
        unsigned char c = *p;
        dest[out++] = (c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=') ? (char)c : '?';
    }
    dest[out] = '\0';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_number_separator(char c)
{
    return c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/';
}

#define NUMBER_MIN_DIGITS 7
#define NUMBER_SHOWN_DIGITS 2

/* "192.0.2.10": an address in a URL or an error, not a phone number. */
static bool is_dotted_quad(const char *text, size_t length)
{
    unsigned groups = 1, digits = 0;

    for (size_t i = 0; i < length; i++) {
        if (is_digit(text[i])) {
            if (++digits > 3)
                return false;
        } else if (text[i] == '.' && digits > 0) {
            groups++;
            digits = 0;
        } else {
            return false;
        }
    }
    return groups == 4 && digits > 0;
}

void log_sanitize_service_text(char *text)
{
    size_t length = strlen(text);

    for (size_t i = 0; i < length; i++) {
        /* Bytes above 0x7e too: some terminals take U+009B (C2 9B in UTF-8)
         * for an escape sequence. */
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c > 0x7e)
            text[i] = '?';
    }
    /* Whatever stands around it: "To=%2B15555550117", "id15555550117". */
    for (size_t start = 0; start < length;) {
        if (!is_digit(text[start])) {
            start++;
            continue;
        }
        size_t end = start, last_digit = start, digits = 0;
        while (end < length && (is_digit(text[end]) || is_number_separator(text[end]))) {
            if (is_digit(text[end])) {
                digits++;
                last_digit = end;
            }
            end++;
        }
        if (digits >= NUMBER_MIN_DIGITS && !is_dotted_quad(text + start, last_digit + 1 - start)) {
            size_t seen = 0;
            for (size_t k = start; k <= last_digit; k++)
                if (is_digit(text[k]) && ++seen <= digits - NUMBER_SHOWN_DIGITS)
                    text[k] = 'X';
        }
        start = last_digit + 1;
    }
}
