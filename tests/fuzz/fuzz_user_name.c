/* User names, checked before they become a path, a URL or a log value.
 * Oracle: a reference implementation written differently. */
#include "fuzz_helpers.h"

#include "user_name.h"

static bool reference_local(const char *name, size_t length)
{
    if (length == 0 || length > USER_NAME_LOCAL_MAX || name[0] == '-' || name[0] == '.')
        return false;
    size_t body = 0;
    while (body < length && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", name[body]))
        body++;
    return body == length || (body == length - 1 && name[length - 1] == '$' && length > 1);
}

/* Split on dots; every label 1-63 of [A-Za-z0-9-], not starting or ending
 * with '-'. */
static bool reference_domain(const char *domain)
{
    const char *alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const char *label = domain;
    for (;;) {
        size_t length = strcspn(label, ".");
        if (length == 0 || length > 63 || strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") < length ||
            strchr(alnum, label[0]) == NULL || strchr(alnum, label[length - 1]) == NULL)
            return false;
        if (label[length] == '\0')
            return true;
        label += length + 1;
    }
}

static bool reference(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > USER_NAME_MAX)
        return false;
    const char *at = strchr(name, '@');
    if (at == NULL)
        return reference_local(name, length);
    return reference_local(name, (size_t)(at - name)) && reference_domain(at + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_string(data, size);

    FUZZ_ASSERT(user_name_is_valid(name) == reference(name));
    if (user_name_is_valid(name)) {
        FUZZ_ASSERT(strchr(name, '/') == NULL && strcmp(name, "..") != 0);
        FUZZ_ASSERT(strpbrk(name, "\\*()%?#") == NULL);
        fuzz_assert_printable(name);
    }
    free(name);
    return 0;
}
