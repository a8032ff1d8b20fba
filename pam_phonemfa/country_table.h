/* The table behind country.h, for country.c only. */
#ifndef PHONEMFA_COUNTRY_TABLE_H
#define PHONEMFA_COUNTRY_TABLE_H

#include "country.h"

/* Room for every entry (searches sort all matches on the stack); the unit
 * tests check the table fits. */
#define COUNTRY_TABLE_MAX 300

extern const struct country country_table[];
extern const size_t country_table_size;

#endif
