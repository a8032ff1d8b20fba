/* The login request as phonemfad reads it from a client: every field
 * known, none given twice (but options), none too long, the protocol
 * version its own. */
#ifndef PHONEMFA_LOGIN_WIRE_H
#define PHONEMFA_LOGIN_WIRE_H

#include "wire.h"

#define LOGIN_ITEM_MAX (16 * 1024) /* any one PAM item a client sends */

struct login_fields {
    const char *version, *user, *service, *rhost, *tty, *ruser, *lang; /* NULL: not sent */
    int unenrolled; /* -1: as configured; else enum unenrolled_policy */
};

/* NULL with fields filled (pointing into request), or what is wrong. */
const char *login_wire_read(const struct wire_message *request, struct login_fields *fields);

#endif
