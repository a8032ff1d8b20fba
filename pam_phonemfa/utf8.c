#include "utf8.h"

size_t utf8_character(const unsigned char *text, size_t available, uint32_t *point)
{
    size_t more;

    if (available == 0)
        return 0;
    unsigned char c = text[0];
    if (c < 0x80) {
        *point = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        more = 1;
        *point = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        more = 2;
        *point = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        more = 3;
        *point = c & 0x07u;
    } else {
        return 0;
    }
    if (available <= more)
        return 0;
    for (size_t k = 1; k <= more; k++) {
        if ((text[k] & 0xc0u) != 0x80u)
            return 0;
        *point = (*point << 6) | (text[k] & 0x3fu);
    }
    if ((more == 2 && *point < 0x800) || (more == 3 && (*point < 0x10000 || *point > 0x10ffff)) ||
        (*point >= 0xd800 && *point <= 0xdfff))
        return 0;
    return more + 1;
}
