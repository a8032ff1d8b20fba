#ifndef PHONEMFA_SECURE_MEM_H
#define PHONEMFA_SECURE_MEM_H

#include <stddef.h>

/* Wipe and free a NUL-terminated secret (code, token, conversation answer). */
void secure_free_string(char *secret);

/* Wipe and free a buffer of known length. */
void secure_free_buffer(void *buffer, size_t length);

/* Process-wide, once, before any thread: every string jansson frees is
 * wiped first (phonemfad: what Graph and the token endpoint answered). */
void secure_json_allocator(void);

#endif
