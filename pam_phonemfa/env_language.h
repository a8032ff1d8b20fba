/* The language of phonemfa-setup's own few messages (daemon unreachable,
 * --help), taken from the environment as any program does: the client is
 * the user's own unprivileged process and decides nothing, so the user's
 * LANG is theirs to set. Nothing privileged ever reads it: the daemon and
 * its setup worker use the user's recorded language (i18n_pick_language). */
#ifndef PHONEMFA_ENV_LANGUAGE_H
#define PHONEMFA_ENV_LANGUAGE_H

#include <stdbool.h>

#include "i18n.h"

/* The tag of one locale value: "ja_JP.UTF-8" → "ja-JP", "de" → "de",
 * "pt_BR@euro" → "pt-BR"; the first of a LANGUAGE list ("de:en"). false
 * for "", "C", "POSIX" and anything that is no valid tag. */
bool env_language_tag(const char *value, char tag[I18N_TAG_MAX]);

/* The first of LANGUAGE, LC_ALL, LC_MESSAGES and LANG that names a
 * language, into tag; false when none does (English). */
bool env_language(char tag[I18N_TAG_MAX]);

#endif
