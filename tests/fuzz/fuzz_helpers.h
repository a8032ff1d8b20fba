/* Shared by the libFuzzer harnesses: turning the fuzzer's bytes into the
 * C strings the parsers take, and the oracles several harnesses share. */
#ifndef PHONEMFA_FUZZ_HELPERS_H
#define PHONEMFA_FUZZ_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy (the caller frees); NUL bytes inside stay, so a
 * parser sees a shorter string, as it would from C callers. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        abort();
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* Oracle: text that reaches a log line or a terminal is printable ASCII. */
static inline void fuzz_assert_printable(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            fprintf(stderr, "unprintable byte 0x%02x in \"%s\"\n", *p, text);
            abort();
        }
    }
}

#define FUZZ_ASSERT(condition)                                                          \
    do {                                                                                \
        if (!(condition)) {                                                             \
            fprintf(stderr, "%s:%d: oracle failed: %s\n", __FILE__, __LINE__, #condition); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

#endif
