#include "secure_mem.h"

#include <jansson.h>
#include <malloc.h>

#include <stdlib.h>
#include <string.h>

void secure_free_string(char *secret)
{
    if (secret == NULL)
        return;
    explicit_bzero(secret, strlen(secret));
    free(secret);
}

void secure_free_buffer(void *buffer, size_t length)
{
    if (buffer == NULL)
        return;
    explicit_bzero(buffer, length);
    free(buffer);
}

/* jansson's strings and parse buffers hold what Graph and the token
 * endpoint answered (an access token among it): wiped before they are
 * freed. malloc_usable_size is glibc's, as is every target of phonemfad. */
static void wiping_free(void *pointer)
{
    if (pointer == NULL)
        return;
    explicit_bzero(pointer, malloc_usable_size(pointer));
    free(pointer);
}

void secure_json_allocator(void)
{
    json_set_alloc_funcs(malloc, wiping_free);
}
