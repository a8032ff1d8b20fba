/* phonemfa-setup's command line as root gives it, read by the setup worker:
 * the options before the command, the command and its own options. Every
 * usage error names what is wrong and what is accepted. */
#ifndef PHONEMFA_SETUP_COMMAND_H
#define PHONEMFA_SETUP_COMMAND_H

#include "setup_admin.h"

/* The options before the command (--user NAME, --user=NAME; --config is
 * refused): *user is set (or NULL), *first is the index of the command.
 * SETUP_OK or SETUP_USAGE (said on stderr). */
int setup_command_options(int argc, char **argv, const char **user, int *first);

/* Say what is wrong with argv[0] given without --user (check and a bare
 * users are run by the caller). */
int setup_command_without_user(int argc, char **argv);

/* Run the per-user command argv[0] for context->user. */
int setup_command_run(struct setup_context *context, int argc, char **argv);

#endif
