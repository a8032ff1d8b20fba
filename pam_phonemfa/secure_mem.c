#include "secure_mem.h"

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
