#include "user_name.h"

#include <string.h>

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

bool user_name_is_valid(const char *name)
{
    if (name == NULL)
        return false;
    size_t length = strnlen(name, USER_NAME_MAX + 1);
    if (length == 0 || length > USER_NAME_MAX)
        return false;
    if (name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < length; i++) {
        if (is_name_char(name[i]))
            continue;
        if (name[i] == '$' && i == length - 1 && i > 0)
            continue;
        return false;
    }
    return true;
}
