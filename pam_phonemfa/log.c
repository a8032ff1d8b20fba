#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void log_message(const struct log_sink *sink, int priority, const char *format, ...)
{
    char line[LOG_LINE_MAX];
    va_list args;

    if (sink == NULL || sink->emit == NULL)
        return;
    va_start(args, format);
    int written = vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (written < 0)
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

static bool is_alphanumeric(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_number_separator(char c)
{
    return c == ' ' || c == '-' || c == '(' || c == ')';
}

#define NUMBER_MIN_DIGITS 7
#define NUMBER_SHOWN_DIGITS 2

void log_sanitize_service_text(char *text)
{
    size_t length = strlen(text);

    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            text[i] = '?';
    }
    for (size_t start = 0; start < length;) {
        if (!is_digit(text[start]) || (start > 0 && is_alphanumeric(text[start - 1]))) {
            start++;
            continue;
        }
        /* The run: digits, and separators only between digits. */
        size_t end = start, last_digit = start, digits = 0;
        while (end < length && (is_digit(text[end]) || is_number_separator(text[end]))) {
            if (is_digit(text[end])) {
                digits++;
                last_digit = end;
            }
            end++;
        }
        bool stands_apart = last_digit + 1 >= length || !is_alphanumeric(text[last_digit + 1]);
        if (digits >= NUMBER_MIN_DIGITS && stands_apart) {
            size_t seen = 0;
            for (size_t k = start; k <= last_digit; k++)
                if (is_digit(text[k]) && ++seen <= digits - NUMBER_SHOWN_DIGITS)
                    text[k] = 'X';
        }
        start = last_digit + 1;
    }
}
