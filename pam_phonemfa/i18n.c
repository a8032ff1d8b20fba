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
