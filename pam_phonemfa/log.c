#include "log.h"

#include <stdarg.h>
#include <stdio.h>

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
