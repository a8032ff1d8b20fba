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

int url_form_add(char *form, size_t form_size, const char *key, const char *value)
{
    size_t used = strnlen(form, form_size);
    const char *parts[2] = {key, value};

    if (used >= form_size)
        return -1;
    if (used > 0) {
        if (used + 1 >= form_size)
            return -1;
        form[used++] = '&';
    }
    for (int part = 0; part < 2; part++) {
        if (part == 1) {
            if (used + 1 >= form_size)
                return -1;
            form[used++] = '=';
        }
        for (const unsigned char *p = (const unsigned char *)parts[part]; *p != '\0'; p++) {
            bool unreserved = is_unreserved(*p);
            if (used + (unreserved ? 1 : 3) >= form_size)
                return -1;
            if (unreserved) {
                form[used++] = (char)*p;
            } else {
                form[used++] = '%';
                form[used++] = hex[*p >> 4];
                form[used++] = hex[*p & 15];
            }
        }
    }
    form[used] = '\0';
    return 0;
}

int url_encode_segment(const char *value, char *out, size_t out_size)
{
    size_t used = 0;

    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        bool unreserved = is_unreserved(*p);
        if (used + (unreserved ? 1 : 3) >= out_size)
            return -1;
        if (unreserved) {
            out[used++] = (char)*p;
        } else {
            out[used++] = '%';
            out[used++] = hex[*p >> 4];
            out[used++] = hex[*p & 15];
        }
    }
    if (used >= out_size)
        return -1;
    out[used] = '\0';
    return 0;
}
