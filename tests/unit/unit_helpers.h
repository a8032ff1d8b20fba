/* Shared by the unit tests: cmocka needs these headers in this order. */
#ifndef PHONEMFA_UNIT_HELPERS_H
#define PHONEMFA_UNIT_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define assert_contains(haystack, needle)                                                       \
    do {                                                                                        \
        if (strstr((haystack), (needle)) == NULL)                                               \
            fail_msg("expected \"%s\" to contain \"%s\"", (haystack), (needle));               \
    } while (0)

#endif
