/* Proving possession of a phone before phonemfa-setup saves it: a code sent
 * to it and typed back, under exactly the policy of a login (countries,
 * channels, lockout, send limit), so enrollment cannot be used to text or
 * call numbers a login could not, nor to guess codes. */
#ifndef PHONEMFA_SETUP_VERIFY_H
#define PHONEMFA_SETUP_VERIFY_H

#include "phone_record.h"
#include "setup_admin.h"

/* SETUP_OK when the phone answered; SETUP_REFUSED when the policy forbids
 * it (nothing sent); SETUP_NOT_VERIFIED; SETUP_BROKEN. */
int setup_prove_possession(const struct setup_context *context, const struct phone_number *number,
                           enum phone_channel channel);

#endif
