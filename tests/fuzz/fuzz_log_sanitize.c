/* Text a service sent, on its way to a log line. Oracles: the length is
 * kept, every byte is printable, and no run of 7 digits that stands apart
 * from letters survives. */
#include "fuzz_helpers.h"

#include "log.h"

static bool part_of_a_number(char c)
{
    return (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/';
}

/* 1 to 3 digits, four times, with dots between (written apart from log.c's
 * scanner on purpose: an oracle that shares the code shares its bugs). */
static bool dotted_quad(const char *text, size_t length)
{
    char copy[64];
    if (length == 0 || length >= sizeof copy)
        return false;
    memcpy(copy, text, length);
    copy[length] = '\0';
    int groups = 0;
    char *saveptr = NULL;
    if (copy[0] == '.' || copy[length - 1] == '.' || strstr(copy, "..") != NULL)
        return false;
    for (char *part = strtok_r(copy, ".", &saveptr); part != NULL; part = strtok_r(NULL, ".", &saveptr)) {
        size_t digits = strspn(part, "0123456789");
        if (digits == 0 || digits > 3 || part[digits] != '\0')
            return false;
        groups++;
    }
    return groups == 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    size_t length = strlen(text);

    log_sanitize_service_text(text);
    FUZZ_ASSERT(strlen(text) == length);
    fuzz_assert_printable(text);
    /* Every stretch of digits and separators with 7 digits or more is an
     * IPv4 address written with dots. */
    for (size_t start = 0; start < length;) {
        if (!(text[start] >= '0' && text[start] <= '9')) {
            start++;
            continue;
        }
        size_t end = start, last = start, digits = 0;
        while (end < length && part_of_a_number(text[end])) {
            if (text[end] >= '0' && text[end] <= '9') {
                digits++;
                last = end;
            }
            end++;
        }
        FUZZ_ASSERT(digits < 7 || dotted_quad(text + start, last + 1 - start));
        start = last + 1;
    }
    free(text);
    return 0;
}
