/* Text a service sent, on its way to a log line. Oracles: the length is
 * kept, every byte is printable, and no run of 7 digits that stands apart
 * from letters survives. */
#include "fuzz_helpers.h"

#include "log.h"

static bool part_of_a_number(char c)
{
    return (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/';
}

/* 1 to 3 digits, four times, with dots between. */
static bool dotted_quad(const char *text, size_t length)
{
    unsigned groups = 1, digits = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] >= '0' && text[i] <= '9') {
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
