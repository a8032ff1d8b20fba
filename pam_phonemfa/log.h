/* Logging without knowing where lines go: the PAM module sends them to
 * pam_syslog, the setup utility to syslog(3). Every line is authpriv. */
#ifndef PHONEMFA_LOG_H
#define PHONEMFA_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

struct log_sink {
    void *context;
    void (*emit)(void *context, int priority, const char *line);
};

/* Room for a URL, curl's own text and its error buffer (CURL_ERROR_SIZE,
 * 256) and the words around them. */
#define LOG_LINE_MAX 2048

/* Marks a text cut to fit (ASCII, so it survives
 * log_sanitize_service_text). */
#define LOG_TRUNCATED_MARK " [truncated]"

/* vsnprintf into dest (dest_size > 0). What does not fit is cut at a UTF-8
 * character boundary and the text ends in LOG_TRUNCATED_MARK, so a cut is
 * never taken for the whole message. */
void log_vformat(char *dest, size_t dest_size, const char *format, va_list args)
    __attribute__((format(printf, 3, 0)));
void log_format(char *dest, size_t dest_size, const char *format, ...) __attribute__((format(printf, 3, 4)));

void log_message(const struct log_sink *sink, int priority, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy a value that came from outside (remote host, tty, service name) into
 * dest so it is safe inside a key=value log line: printable ASCII only, no
 * spaces or quotes, bounded. An empty or NULL value becomes "-". */
void log_clean_value(char *dest, size_t dest_size, const char *value);

/* Make text that came from a verification service fit for a log line or a
 * terminal, in place: every byte outside printable ASCII (ESC, BEL,
 * newlines, DEL, C1 controls in UTF-8) becomes '?', and anything that looks
 * like a phone number (7 or more digits, perhaps with spaces, dashes, dots,
 * slashes or parentheses between them, whatever stands around them) keeps
 * only its last two digits. A dotted IPv4 address is left as it is. */
void log_sanitize_service_text(char *text);

#endif
