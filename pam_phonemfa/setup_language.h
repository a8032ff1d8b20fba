/* The language a user reads at login and in phonemfa-setup, kept with their
 * phones ("language" in the local store's record; "" for the
 * administrator's default, login.locale). */
#ifndef PHONEMFA_SETUP_LANGUAGE_H
#define PHONEMFA_SETUP_LANGUAGE_H

#include <stddef.h>

#include "setup_admin.h"

/* The languages offered to choose from: each in its own name, so that a
 * reader of it finds it whatever the current language. */
struct setup_language {
    const char *tag;
    const char *name;
};

#define SETUP_LANGUAGES_MAX 8

/* Whether the user's language can be kept where their phones are: only the
 * local store's record has a place for it (a directory keeps numbers, and
 * LDAP's details the verification facts and the preferred method). */
bool setup_language_is_kept(const struct setup_context *context);

/* The language user chose (their record's "language"), into tag; "" when
 * they chose none, have no record, or it cannot be read now (whatever
 * stops the work itself is said by the command that reads it). */
void setup_chosen_language(struct phone_directory *directory, const char *user, char tag[I18N_TAG_MAX]);

/* The name of tag in its own language ("日本語"), or NULL when not listed. */
const char *setup_language_name(const char *tag);

/* The listed languages a user may choose here: English, and those whose
 * catalogue is installed and loads. Their count. */
size_t setup_languages_offered(const struct phonemfa_config *config,
                               const struct setup_language *offered[SETUP_LANGUAGES_MAX]);

/* A setup_edit_record change: record.language = the tag argument ("": the
 * default). Refused for a user without phones (the language is kept with
 * them). */
int setup_apply_language(const struct setup_context *context, struct phone_record *record, bool *exists,
                         void *tag);

/* "The language: 日本語 (ja)" / "English (the default)", for the person at
 * the terminal, into out. */
void setup_describe_language(const struct setup_context *context, const char *tag, char *out, size_t out_size);

/* phonemfa-setup --user NAME language TAG|default */
int setup_language(const struct setup_context *context, const char *tag);

#endif
