/* What Entra ID's token endpoint and Microsoft Graph answer, parsed. */
#ifndef PHONEMFA_ENTRA_ANSWERS_H
#define PHONEMFA_ENTRA_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>

#include "http_client.h"
#include "phone_record.h"

#define ENTRA_TOKEN_MAX 8192
#define ENTRA_ID_MAX 128 /* a phone method's id (a GUID), with room */

/* Graph's phoneType of each slot: mobile, alternateMobile, office. */
extern const char *const entra_phone_types[SLOT_COUNT];

/* The access token (malloc'd; the caller wipes and frees it) and its
 * lifetime from a 200 token answer; -1 when either is missing or unfit. */
int entra_parse_token(const char *content_type, const char *body, size_t length, char **token,
                      long long *lifetime_s);

/* A phone methods answer ({"value": [...]}) into the record: mobile the
 * primary (texts and calls), alternateMobile and office calls only, each
 * method's id into ids. A number that is masked or not a number is left
 * out and reported through skipped (masked counts the masked ones). -1 when
 * the answer is not such a list. */
int entra_parse_methods(const char *content_type, const char *body, size_t length, struct phone_record *record,
                        char ids[SLOT_COUNT][ENTRA_ID_MAX], unsigned *masked,
                        void (*skipped)(void *context, const char *type, const char *number, const char *why),
                        void *context);

/* Graph's own "no such user": HTTP 404 with the JSON error code
 * Request_ResourceNotFound (or ResourceNotFound). Any other 404 (a wrong
 * graph_url, a proxy's page) is not taken for it: "not enrolled" may let
 * a user pass. */
bool entra_is_no_such_user(const struct http_response *response);

/* An error answer of either, for the log: "HTTP 401 invalid_client: ...",
 * sanitised, with the token endpoint's first error code. */
void entra_service_error(const struct http_response *response, char *out, size_t size);

#endif
