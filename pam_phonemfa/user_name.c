#include "user_name.h"

#include <stdio.h>
#include <string.h>

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool local_is_valid(const char *name, size_t length)
{
    if (length == 0 || length > USER_NAME_LOCAL_MAX || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < length; i++) {
        if (is_alnum(name[i]) || name[i] == '_' || name[i] == '.' || name[i] == '-')
            continue;
        if (name[i] == '$' && i == length - 1 && i > 0)
            continue;
        return false;
    }
    return true;
}

/* RFC 1123 host name labels, as AD, FreeIPA and Entra ID domains are. */
static bool domain_is_valid(const char *domain)
{
    size_t label = 0;

    if (domain[0] == '\0')
        return false;
    for (const char *p = domain;; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63 || p[-1] == '-')
                return false;
            if (*p == '\0')
                return true;
            label = 0;
            continue;
        }
        if (!is_alnum(*p) && !(*p == '-' && label > 0))
            return false;
        label++;
    }
}

bool user_name_is_valid(const char *name)
{
    if (name == NULL)
        return false;
    size_t length = strnlen(name, USER_NAME_MAX + 1);
    if (length == 0 || length > USER_NAME_MAX)
        return false;
    const char *at = memchr(name, '@', length);
    if (at == NULL)
        return local_is_valid(name, length);
    return local_is_valid(name, (size_t)(at - name)) && domain_is_valid(at + 1);
}

bool user_name_local_part(const char *name, char *out, size_t out_size)
{
    const char *at = strchr(name, '@');
    size_t length = at != NULL ? (size_t)(at - name) : strlen(name);

    if (length >= out_size)
        return false;
    memcpy(out, name, length);
    out[length] = '\0';
    return true;
}

const char *user_name_domain(const char *name)
{
    const char *at = strchr(name, '@');
    return at != NULL ? at + 1 : "";
}
