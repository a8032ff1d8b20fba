#include "url_encode.h"

#include <stdbool.h>
#include <string.h>

static const char hex[] = "0123456789ABCDEF";

/* RFC 3986 unreserved: the only bytes that never need escaping. */
static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

/* value percent-encoded at out + *used (NUL-terminated); -1 when it does
 * not fit. */
static int append_encoded(char *out, size_t out_size, size_t *used, const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        bool unreserved = is_unreserved(*p);
        if (*used + (unreserved ? 1 : 3) >= out_size)
            return -1;
        if (unreserved) {
            out[(*used)++] = (char)*p;
        } else {
            out[(*used)++] = '%';
            out[(*used)++] = hex[*p >> 4];
            out[(*used)++] = hex[*p & 15];
        }
    }
    if (*used >= out_size)
        return -1;
    out[*used] = '\0';
    return 0;
}

int url_form_add(char *form, size_t form_size, const char *key, const char *value)
{
    size_t used = strnlen(form, form_size);

    if (used + 1 >= form_size)
        return -1;
    if (used > 0)
        form[used++] = '&';
    if (append_encoded(form, form_size, &used, key) != 0 || used + 1 >= form_size)
        return -1;
    form[used++] = '=';
    return append_encoded(form, form_size, &used, value);
}

int url_encode_segment(const char *value, char *out, size_t out_size)
{
    size_t used = 0;
    return append_encoded(out, out_size, &used, value);
}
