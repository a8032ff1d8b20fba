/* phonemfa-setup's country question: a country picked by name (in the
 * user's language) or by calling code, the default one on Enter. */
#ifndef PHONEMFA_SETUP_COUNTRY_H
#define PHONEMFA_SETUP_COUNTRY_H

#include "i18n.h"

/* How many tries a person gets before the question gives up. */
#define SETUP_COUNTRY_TRIES 3
/* At most this many countries are listed to choose from; more: type more. */
#define SETUP_COUNTRY_LIST_MAX 10

/* Ask for the country of a phone number through setup_read_line():
 * "Country or calling code [Japan (+81)]: ". Enter takes default_code (0:
 * none, and Enter asks again); one match, an ISO code ("de"), or matches
 * that all dial the same code are taken, and said; a few are listed to
 * choose from, more are refused (type more). 0 and *code set, or -1
 * at the end of input or after SETUP_COUNTRY_TRIES answers that were not
 * a country. */
int setup_pick_country(const struct i18n_catalogue *catalogue, unsigned default_code, unsigned *code);

#endif
