/* A language preference as a directory keeps it (preferredLanguage), the
 * text of any directory entry. Oracle: what is taken is a valid tag that
 * fits; what is refused leaves an empty tag. */
#include "fuzz_helpers.h"

#include "i18n.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    char tag[I18N_TAG_MAX];

    memset(tag, 'x', sizeof tag);
    if (i18n_tag_from_preference(text, tag))
        FUZZ_ASSERT(strlen(tag) < I18N_TAG_MAX && i18n_tag_is_valid(tag));
    else
        FUZZ_ASSERT(tag[0] == '\0');
    free(text);
    return 0;
}
