/* phonemfa-setup run by a user (setuid root): re-authenticate, then let
 * them change the slots the administrator allows, proving possession of
 * every new phone before it is saved. */
#ifndef PHONEMFA_SETUP_SELF_H
#define PHONEMFA_SETUP_SELF_H

#include <sys/types.h>

#include "setup_admin.h"

/* In phonemfad's setup worker (root): once the user re-authenticated, drop
 * to their uid, keeping root as the saved uid so that store and state
 * writes can take it back for their duration. Everything the user types is
 * then handled without root. */
int privileges_drop(uid_t user);
int privileges_raise(void);
int privileges_lower(void);

int setup_self_service(const struct setup_context *context);

#endif
