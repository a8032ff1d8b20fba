/* User names, checked before they become a path, a URL or a log value.
 * Oracle: a reference implementation written differently. */
#include "fuzz_helpers.h"

#include "user_name.h"

static bool reference(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > USER_NAME_MAX || name[0] == '-' || name[0] == '.')
        return false;
    size_t body = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
    return body == length || (body == length - 1 && name[length - 1] == '$' && length > 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_string(data, size);

    FUZZ_ASSERT(user_name_is_valid(name) == reference(name));
    if (user_name_is_valid(name)) {
        FUZZ_ASSERT(strchr(name, '/') == NULL && strcmp(name, "..") != 0);
        fuzz_assert_printable(name);
    }
    free(name);
    return 0;
}
