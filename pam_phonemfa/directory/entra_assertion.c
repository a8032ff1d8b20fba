#include "entra_assertion.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "secure_mem.h"

#define ASSERTION_LIFETIME_S 600
#define ASSERTION_MAX 8192

/* RFC 4648 section 5, without padding: what JWTs are made of. */
static char *base64url(const unsigned char *data, size_t length)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(length / 3 * 4 + 5);
    size_t used = 0;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < length; i += 3) {
        unsigned value = (unsigned)data[i] << 16;
        size_t left = length - i;
        if (left > 1)
            value |= (unsigned)data[i + 1] << 8;
        if (left > 2)
            value |= data[i + 2];
        out[used++] = alphabet[(value >> 18) & 63];
        out[used++] = alphabet[(value >> 12) & 63];
        if (left > 1)
            out[used++] = alphabet[(value >> 6) & 63];
        if (left > 2)
            out[used++] = alphabet[value & 63];
    }
    out[used] = '\0';
    return out;
}

static EVP_PKEY *read_key(const char *pem, size_t length)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)length);
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return key;
}

char *entra_certificate_thumbprint(const char *cert_pem, size_t cert_length, const char *key_pem, size_t key_length,
                                   char *why, size_t why_size)
{
    BIO *bio = BIO_new_mem_buf(cert_pem, (int)cert_length);
    X509 *cert = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = read_key(key_pem, key_length);
    unsigned char *der = NULL, digest[SHA_DIGEST_LENGTH];
    char *thumbprint = NULL;

    if (cert == NULL)
        (void)snprintf(why, why_size, "not a PEM certificate");
    else if (key == NULL)
        (void)snprintf(why, why_size, "entra.client_key is not a PEM private key (without a passphrase)");
    else if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
        (void)snprintf(why, why_size, "the key must be RSA: Entra ID takes RS256 client assertions");
    else if (X509_check_private_key(cert, key) != 1)
        (void)snprintf(why, why_size, "entra.client_key is not the key of this certificate");
    else {
        int length = i2d_X509(cert, &der);
        if (length <= 0 || SHA1(der, (size_t)length, digest) == NULL || (thumbprint = base64url(digest, sizeof digest)) == NULL)
            (void)snprintf(why, why_size, "cannot compute the certificate's thumbprint");
    }
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    X509_free(cert);
    BIO_free(bio);
    return thumbprint;
}

static char *json_part(json_t *object)
{
    char *text = object != NULL ? json_dumps(object, JSON_COMPACT) : NULL;
    char *encoded = text != NULL ? base64url((const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    json_decref(object);
    return encoded;
}

char *entra_client_assertion(const struct entra_settings *settings, const char *audience, time_t now, char *why,
                             size_t why_size)
{
    unsigned char random[16];
    char jti[33];
    char *assertion = NULL, *header = NULL, *claims = NULL, *signature_text = NULL;
    unsigned char *signature = NULL;
    size_t signature_length = 0;
    EVP_PKEY *key = read_key(settings->client_key_pem, settings->client_key_length);
    EVP_MD_CTX *context = EVP_MD_CTX_new();

    (void)snprintf(why, why_size, "cannot sign the client assertion");
    if (key == NULL || context == NULL || getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
        goto out;
    for (size_t i = 0; i < sizeof random; i++)
        (void)snprintf(jti + 2 * i, 3, "%02x", random[i]);
    header = json_part(json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "x5t",
                                 settings->certificate_thumbprint));
    claims = json_part(json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "aud", audience, "iss", settings->client_id,
                                 "sub", settings->client_id, "jti", jti, "nbf", (json_int_t)now, "iat",
                                 (json_int_t)now, "exp", (json_int_t)(now + ASSERTION_LIFETIME_S)));
    if (header == NULL || claims == NULL)
        goto out;
    char input[ASSERTION_MAX];
    int length = snprintf(input, sizeof input, "%s.%s", header, claims);
    if (length < 0 || (size_t)length >= sizeof input ||
        EVP_DigestSignInit(context, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(context, NULL, &signature_length, (const unsigned char *)input, (size_t)length) != 1 ||
        (signature = malloc(signature_length)) == NULL ||
        EVP_DigestSign(context, signature, &signature_length, (const unsigned char *)input, (size_t)length) != 1 ||
        (signature_text = base64url(signature, signature_length)) == NULL)
        goto out;
    size_t total = (size_t)length + 1 + strlen(signature_text) + 1;
    assertion = malloc(total);
    if (assertion != NULL)
        (void)snprintf(assertion, total, "%s.%s", input, signature_text);
out:
    free(header);
    free(claims);
    free(signature);
    free(signature_text);
    EVP_MD_CTX_free(context);
    EVP_PKEY_free(key);
    return assertion;
}
