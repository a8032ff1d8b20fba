/* User-facing strings go through the module's own gettext domain, never the
 * host application's: a PAM module must not call textdomain(). */
#ifndef PHONEMFA_I18N_H
#define PHONEMFA_I18N_H

#include <libintl.h>

#define PHONEMFA_TEXT_DOMAIN "pam_phonemfa"

#define _(s) dgettext(PHONEMFA_TEXT_DOMAIN, s)
#define N_(s) (s)
#define P_(singular, plural, n) \
    dngettext(PHONEMFA_TEXT_DOMAIN, singular, plural, (unsigned long)(n))

void i18n_bind(void);

/* "Phone verification is unavailable on this system; contact your
 * administrator.", translated. */
const char *i18n_unavailable_here(void);

#endif
