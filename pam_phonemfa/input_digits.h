/* Digits as people type them: Japanese (and Chinese) input methods send
 * full-width digits, U+FF10..U+FF19 (UTF-8 EF BC 90..99), for what looks
 * like "1" on their screen. A menu number or a code typed that way means
 * the ASCII digit, so answers are folded before they are parsed. */
#ifndef PHONEMFA_INPUT_DIGITS_H
#define PHONEMFA_INPUT_DIGITS_H

#include <stddef.h>

/* Replace every full-width digit of text by its ASCII digit, in place
 * (the text only gets shorter). Nothing else changes: any other byte,
 * including a partial or different UTF-8 sequence, is left for the parser
 * to refuse. The bytes freed at the end are wiped, since the text may be a
 * code. Returns the new length. */
size_t input_digits_fold(char *text);

#endif
