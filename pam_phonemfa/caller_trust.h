/* What the process running the module lets the invoking user control.
 * su, sudo, chsh and chfn are setuid root: they run with the caller's
 * environment, umask, resource limits and signals, and the caller may stop
 * or kill them at any moment. Nothing of that may decide anything. */
#ifndef PHONEMFA_CALLER_TRUST_H
#define PHONEMFA_CALLER_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct caller_trust {
    /* Started by someone other than root (a setuid program run by a user):
     * they can stop, slow down or starve it, so an outage may be theirs. */
    bool started_by_user;
    uid_t real_uid;
    /* The kernel marked the process secure (AT_SECURE): the dynamic loader
     * and OpenSSL ignore their environment variables. */
    bool kernel_secure;
};

void caller_trust_inspect(struct caller_trust *trust);

/* The first variable of env that a library the module uses would honour
 * in this process although the user set it (libcurl opens SSLKEYLOGFILE as
 * root), or NULL. Copies its name (no value) into name. */
const char *caller_trust_unsafe_variable(const struct caller_trust *trust, const char *const *env, char *name,
                                         size_t name_size);

#endif
