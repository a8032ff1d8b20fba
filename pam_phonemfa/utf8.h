/* Reading UTF-8 strictly: what comes from a catalogue, a terminal or a
 * directory is checked character by character before it is shown. */
#ifndef PHONEMFA_UTF8_H
#define PHONEMFA_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length (1 to 4) of the well-formed character at text, which has
 * `available` bytes, and its code point in *point; 0 when the bytes there
 * are not one (a stray continuation byte, an overlong form, a surrogate,
 * beyond U+10FFFF, or cut short). */
size_t utf8_character(const unsigned char *text, size_t available, uint32_t *point);

/* C0 controls, DEL and C1 controls (U+0080-U+009F, which some terminals
 * take as escape sequences). */
static inline int utf8_is_control(uint32_t point)
{
    return point < 0x20 || (point >= 0x7f && point < 0xa0);
}

#endif
