/* A certificate credential for Entra ID: the signed client assertion (a
 * JWT, RS256) the token endpoint takes instead of a client secret, as
 * Microsoft's "certificate credentials" for confidential clients say:
 * header {alg RS256, typ JWT, x5t}, claims aud (the token endpoint), iss and
 * sub (the client id), jti (random), nbf, iat and exp (10 minutes). */
#ifndef PHONEMFA_ENTRA_ASSERTION_H
#define PHONEMFA_ENTRA_ASSERTION_H

#include <stddef.h>
#include <time.h>

#include "config.h"

/* The certificate's x5t (base64url of its SHA-1 over the DER), after
 * checking that the key is RSA and belongs to it; NULL with why. */
char *entra_certificate_thumbprint(const char *cert_pem, size_t cert_length, const char *key_pem, size_t key_length,
                                   char *why, size_t why_size);

/* The assertion for the token endpoint `audience` (malloc'd; the caller
 * wipes and frees it: it is a credential for its ten minutes). NULL with why. */
char *entra_client_assertion(const struct entra_settings *settings, const char *audience, time_t now, char *why,
                             size_t why_size);

#endif
