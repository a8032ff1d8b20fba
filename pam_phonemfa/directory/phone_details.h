/* What the local store keeps about a phone besides its number (its
 * channels, how and when it was verified, who added it when) and the
 * preferred method, as text an LDAP directory can hold in the attributes
 * of conf/ldap/phonemfa-schema.ldif (ldap.details = true):
 *
 *   phonemfaPhoneDetail: slot=alternate channels=text,call verified_by=call
 *     verified_at=2026-11-25T10:00:00Z added_by=alice added_at=2026-11-25T10:00:00Z
 *   phonemfaPreferredMethod: alternate call
 *
 * Parsed strictly: the directory's content is not phonemfa's to trust. */
#ifndef PHONEMFA_PHONE_DETAILS_H
#define PHONEMFA_PHONE_DETAILS_H

#include <stdbool.h>
#include <stddef.h>

#include "phone_record.h"

#define PHONE_DETAIL_MAX 256

/* One detail value onto the record's phone of that slot (which must be
 * there: a detail of a phone the directory does not hold is refused). */
bool phone_detail_parse(const char *text, struct phone_record *record, const char **why);
/* The value for the phone of slot (which is present). false: no room. */
bool phone_detail_format(const struct phone_record *record, enum phone_slot slot, char *out, size_t out_size);

/* "alternate call": the record's preferred method, if its phone takes it. */
bool phone_preferred_parse(const char *text, struct phone_record *record, const char **why);
bool phone_preferred_format(const struct phone_record *record, char *out, size_t out_size);

#endif
