#include "caller_trust.h"

#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

void caller_trust_inspect(struct caller_trust *trust)
{
    trust->kernel_secure = getauxval(AT_SECURE) != 0;
    trust->real_uid = getuid();
    trust->started_by_user = trust->kernel_secure || trust->real_uid != 0 || geteuid() != 0 ||
                             getgid() != getegid();
}

/* libcurl reads SSLKEYLOGFILE with plain getenv when TLS starts, and
 * appends the session secrets to that file as whoever runs it: as root, a
 * user's `SSLKEYLOGFILE=/etc/ld.so.preload su` creates a root-owned file
 * the user can write. Proxy variables and .netrc are overridden by explicit
 * options; CURL_CA_BUNDLE is read by the curl program only. */
static const char *const honoured_anyway[] = {"SSLKEYLOGFILE", NULL};

/* OpenSSL reads these through secure_getenv(), which ignores them only when
 * the kernel set AT_SECURE; a process that changed its uids itself is not
 * protected that way. */
static const char *const honoured_unless_kernel_secure[] = {
    "OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES", "SSL_CERT_FILE", "SSL_CERT_DIR", NULL,
};

static bool named(const char *entry, const char *const *names, const char **which)
{
    size_t length = strcspn(entry, "=");

    for (size_t i = 0; names[i] != NULL; i++) {
        if (strlen(names[i]) == length && strncmp(entry, names[i], length) == 0) {
            *which = names[i];
            return true;
        }
    }
    return false;
}

const char *caller_trust_unsafe_variable(const struct caller_trust *trust, const char *const *env, char *name,
                                         size_t name_size)
{
    const char *which = NULL;

    if (!trust->started_by_user || env == NULL)
        return NULL;
    for (size_t i = 0; env[i] != NULL && which == NULL; i++) {
        if (named(env[i], honoured_anyway, &which))
            break;
        if (!trust->kernel_secure && named(env[i], honoured_unless_kernel_secure, &which))
            break;
    }
    if (which != NULL)
        (void)snprintf(name, name_size, "%s", which);
    return which;
}
