#ifndef PHONEMFA_USER_NAME_H
#define PHONEMFA_USER_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* Room for "user@domain" names as sssd gives them for AD and FreeIPA users;
 * with ".json" and a lock suffix still far below NAME_MAX (255). */
#define USER_NAME_MAX 128
#define USER_NAME_LOCAL_MAX 64

/* A user name is checked before it is used in a path, a URL, an LDAP filter
 * or a log line. Either a local name: letters, digits, '_', '.', '-' (not
 * first), an optional trailing '$' (machine accounts), at most
 * USER_NAME_LOCAL_MAX characters, never "." or ".."; or such a name, '@' and
 * a DNS domain (labels of letters, digits and inner '-', joined by single
 * dots), at most USER_NAME_MAX characters in all. "DOMAIN\user" (winbind's
 * default separator) is refused: a backslash has a meaning in every place a
 * name goes (shells, LDAP filters, log readers); winbind can be told to use
 * '@' (winbind separator) instead. */
bool user_name_is_valid(const char *name);

/* The part before '@' (the whole name when there is none) into out; false
 * when it does not fit. */
bool user_name_local_part(const char *name, char *out, size_t out_size);

/* The part after '@', or "" when there is none. */
const char *user_name_domain(const char *name);

#endif
