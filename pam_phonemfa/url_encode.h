/* Percent-encoding (RFC 3986) for what goes into a request: form fields
 * and URL path segments. Everything but the unreserved characters is
 * escaped, so no value can end a field, a segment or the path. */
#ifndef PHONEMFA_URL_ENCODE_H
#define PHONEMFA_URL_ENCODE_H

#include <stddef.h>

/* Append "key=value" (with '&' when form is not empty). -1 when it does
 * not fit (form is then unusable). */
int url_form_add(char *form, size_t form_size, const char *key, const char *value);

/* value as one path segment ("alice@example.com" -> "alice%40example.com");
 * -1 when it does not fit. */
int url_encode_segment(const char *value, char *out, size_t out_size);

#endif
