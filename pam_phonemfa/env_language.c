#include "env_language.h"

#include <stdlib.h>
#include <string.h>

bool env_language_tag(const char *value, char tag[I18N_TAG_MAX])
{
    size_t length = 0;

    tag[0] = '\0';
    if (value == NULL)
        return false;
    /* The language part: up to the first ':' (a LANGUAGE list), '.' (the
     * codeset) or '@' (the modifier). */
    while (value[length] != '\0' && strchr(":.@", value[length]) == NULL)
        length++;
    if (length == 0 || length >= I18N_TAG_MAX)
        return false;
    memcpy(tag, value, length);
    tag[length] = '\0';
    /* ll_CC is the tag ll-CC. */
    char *underscore = strchr(tag, '_');
    if (underscore != NULL)
        *underscore = '-';
    if (strcmp(tag, "C") == 0 || strcmp(tag, "POSIX") == 0 || !i18n_tag_is_valid(tag)) {
        tag[0] = '\0';
        return false;
    }
    return true;
}

bool env_language(char tag[I18N_TAG_MAX])
{
    static const char *const variables[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};

    /* As gettext reads them, except that a LANGUAGE list is read only for
     * its first language. An empty or unusable value falls through. */
    for (size_t i = 0; i < sizeof variables / sizeof variables[0]; i++)
        if (env_language_tag(getenv(variables[i]), tag))
            return true;
    return false;
}
