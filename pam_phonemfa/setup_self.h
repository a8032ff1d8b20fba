/* phonemfa-setup run by a user (setuid root): re-authenticate, then let
 * them change the slots the administrator allows, proving possession of
 * every new phone before it is saved. */
#ifndef PHONEMFA_SETUP_SELF_H
#define PHONEMFA_SETUP_SELF_H

#include "setup_admin.h"

/* Drop to the invoking user, keeping root as the saved uid so that
 * store writes can take it back for their duration. */
int privileges_drop(void);
int privileges_raise(void);
int privileges_lower(void);

int setup_self_service(const struct setup_context *context);

#endif
