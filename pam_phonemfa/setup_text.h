/* Words phonemfa-setup shows to people, in their language: the name of a
 * slot inside a sentence, and what counts as "yes". The slot names typed on
 * the command line (primary, alternate, office) and written to the log stay
 * English: they are data. */
#ifndef PHONEMFA_SETUP_TEXT_H
#define PHONEMFA_SETUP_TEXT_H

#include <stdbool.h>

#include "i18n.h"
#include "phone_record.h"

/* "primary phone", "alternate phone", "office phone", translated. */
const char *setup_slot_label(const struct i18n_catalogue *catalogue, enum phone_slot slot);

/* "  preferred: primary, text\n", translated: what Enter picks at login. */
const char *setup_preferred_line(const struct i18n_catalogue *catalogue, enum phone_slot slot,
                                 enum phone_channel channel);

#endif
