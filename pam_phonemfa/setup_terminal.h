/* phonemfa-setup's terminal: one answer per line, hidden answers (codes,
 * passwords) typed with echo off, and the terminal always given back the
 * way it was, whatever signal arrives at a hidden prompt. */
#ifndef PHONEMFA_SETUP_TERMINAL_H
#define PHONEMFA_SETUP_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>

#define SETUP_INPUT_END (-1)      /* end of input */
#define SETUP_INPUT_TOO_LONG (-2) /* the rest of the line was discarded */
#define SETUP_INPUT_INVALID (-3)  /* a NUL byte in the line: refused, nothing else lost */

/* Show prompt, read one line into out (at most out_size - 1 characters,
 * without the newline). 0 or one of the SETUP_INPUT_ codes. hide: no echo. */
int setup_read_line(const char *prompt, bool hide, char *out, size_t out_size);

#endif
