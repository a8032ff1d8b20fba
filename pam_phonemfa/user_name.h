#ifndef PHONEMFA_USER_NAME_H
#define PHONEMFA_USER_NAME_H

#include <stdbool.h>

#define USER_NAME_MAX 32

/* A user name is checked before it is used in a path, a URL or a log line:
 * letters, digits, '_', '.', '-' (not first), an optional trailing '$'
 * (machine accounts), at most USER_NAME_MAX characters, never "." or "..". */
bool user_name_is_valid(const char *name);

#endif
