#include "input_digits.h"

#include <string.h>

size_t input_digits_fold(char *text)
{
    size_t kept = 0, i = 0;

    while (text[i] != '\0') {
        const unsigned char *p = (const unsigned char *)text + i;
        if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99) {
            text[kept++] = (char)('0' + (p[2] - 0x90));
            i += 3;
        } else {
            text[kept++] = text[i++];
        }
    }
    /* Owners wipe up to the new end only: the tail is wiped here. */
    explicit_bzero(text + kept, i - kept);
    text[kept] = '\0';
    return kept;
}
