#include "i18n.h"

#ifndef PHONEMFA_LOCALEDIR
#define PHONEMFA_LOCALEDIR "/usr/share/locale"
#endif

/* bindtextdomain() is idempotent and thread-safe in glibc; calling it on each
 * entry avoids keeping a "done" flag of our own. */
void i18n_bind(void)
{
    (void)bindtextdomain(PHONEMFA_TEXT_DOMAIN, PHONEMFA_LOCALEDIR);
}

/* For a fault only an administrator can fix (the configuration, the phone
 * store, the state): the user learns that much and no more; the detail is
 * in the log. Shared by the module and phonemfad so they say it alike. */
const char *i18n_unavailable_here(void)
{
    return _("Phone verification is unavailable on this system; contact your administrator.");
}
