/* The project's own verification protocol (docs/phonemfa-verify-api.yaml):
 * JSON over HTTPS with a bearer token. Building requests and parsing
 * responses is kept apart from the transport so each parser can be tested
 * on its own. */
#ifndef PHONEMFA_NATIVE_PROTOCOL_H
#define PHONEMFA_NATIVE_PROTOCOL_H

#include "verify_client.h"

#define NATIVE_API_PREFIX "/v1/verifications"

/* Request body for starting a verification (caller frees). */
char *native_start_body(const struct verify_start_request *request);

/* Request body for checking a code; written into out (wipe it after use). */
int native_check_body(const char *code, char *out, size_t out_size);

int native_parse_start(long status, const char *content_type, const char *body, size_t length,
                       struct verification *verification, struct verify_failure *failure);
int native_parse_check(long status, const char *content_type, const char *body, size_t length,
                       enum verify_check_result *result, struct verify_failure *failure);
int native_parse_status(long status, const char *content_type, const char *body, size_t length,
                        enum verify_call_status *call_status, struct verify_failure *failure);

int native_parse_service_status(long status, const char *content_type, const char *body, size_t length,
                                struct verify_failure *failure);

/* Map an error answer (any status that is not the expected success). */
void native_parse_error(long status, const char *content_type, const char *body, size_t length,
                        struct verify_failure *failure);

bool native_id_is_valid(const char *id);

#endif
