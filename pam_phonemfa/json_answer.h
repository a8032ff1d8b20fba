/* Reading a service's JSON answer strictly: the right Content-Type, valid
 * JSON without duplicate keys, an object at the top. Shared by every
 * provider. */
#ifndef PHONEMFA_JSON_ANSWER_H
#define PHONEMFA_JSON_ANSWER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "verify_client.h"

bool json_answer_content_type_ok(const char *content_type);

/* The object, or NULL with *failure set (kind VERIFY_BAD_RESPONSE); who
 * names the service in the failure ("service", "Twilio"). */
json_t *json_answer_object(const char *who, const char *content_type, const char *body,
                           size_t length, struct verify_failure *failure);

#endif
