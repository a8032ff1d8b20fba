/* phonemfa-setup's usage text, in one place: the client prints it for
 * --help (stdout, without asking phonemfad), the setup worker after a usage
 * error (stderr). */
#ifndef PHONEMFA_SETUP_USAGE_H
#define PHONEMFA_SETUP_USAGE_H

extern const char setup_usage_text[];

#endif
