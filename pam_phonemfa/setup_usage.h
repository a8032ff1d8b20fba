/* phonemfa-setup's usage text, in one place: the client prints it for
 * --help (stdout, without asking phonemfad), the setup worker after a usage
 * error (stderr). */
#ifndef PHONEMFA_SETUP_USAGE_H
#define PHONEMFA_SETUP_USAGE_H

#include "i18n.h"

/* The usage, translated (NULL: English). */
const char *setup_usage_text(const struct i18n_catalogue *catalogue);

#endif
