#include "setup_language.h"

#include <stdio.h>
#include <string.h>

#include "phone_directory.h"

/* Each in its own name; English first, as the language of the msgids. */
static const struct setup_language languages[] = {
    {"en", "English"},
    {"de", "Deutsch"},
    {"ja", "日本語"},
};

bool setup_language_is_kept(const struct setup_context *context)
{
    return context->config->directory == DIRECTORY_FILES;
}

void setup_chosen_language(struct phone_directory *directory, const char *user, char tag[I18N_TAG_MAX])
{
    struct directory_error error = {{0}};
    struct phone_record record;

    tag[0] = '\0';
    if (phone_directory_read(directory, user, &record, &error) == DIRECTORY_FOUND &&
        i18n_tag_is_valid(record.language))
        (void)snprintf(tag, I18N_TAG_MAX, "%s", record.language);
    explicit_bzero(&record, sizeof record);
}

const char *setup_language_name(const char *tag)
{
    for (size_t i = 0; i < sizeof languages / sizeof languages[0]; i++)
        if (strcmp(languages[i].tag, tag) == 0)
            return languages[i].name;
    return NULL;
}

/* English needs no catalogue; any other language is offered only when its
 * catalogue is installed and reads: choosing one that is missing would show
 * English, and one that is damaged would refuse every login. */
size_t setup_languages_offered(const struct phonemfa_config *config,
                               const struct setup_language *offered[SETUP_LANGUAGES_MAX])
{
    size_t count = 0;

    for (size_t i = 0; i < sizeof languages / sizeof languages[0] && count < SETUP_LANGUAGES_MAX; i++) {
        struct i18n_catalogue *catalogue = NULL;
        struct i18n_error error;
        bool english = strcmp(languages[i].tag, "en") == 0;
        if (english || (i18n_catalogue_load(config->translations_directory, languages[i].tag, &catalogue,
                                            &error) == 0 &&
                        catalogue != NULL))
            offered[count++] = &languages[i];
        i18n_catalogue_free(catalogue);
    }
    return count;
}

int setup_apply_language(const struct setup_context *context, struct phone_record *record, bool *exists,
                         void *tag)
{
    if (!*exists) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is a user name. */
        fprintf(stderr, T_(context->catalogue, "%s has no phone registered; a language is kept with the phones\n"),
                context->user);
        return SETUP_REFUSED;
    }
    (void)snprintf(record->language, sizeof record->language, "%s", (const char *)tag);
    return SETUP_OK;
}

void setup_describe_language(const struct setup_context *context, const char *tag, char *out, size_t out_size)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    const char *fallback = context->config->locale;
    const char *name = setup_language_name(tag[0] != '\0' ? tag : fallback != NULL ? fallback : "en");

    if (tag[0] != '\0')
        /* TRANSLATORS: the language a user chose: its name in its own
         * language ("Deutsch") and its tag ("de"). */
        (void)snprintf(out, out_size, T_(catalogue, "%s (%s)"), name != NULL ? name : tag, tag);
    else if (fallback == NULL || fallback[0] == '\0')
        (void)snprintf(out, out_size, "%s", T_(catalogue, "English (the default)"));
    else
        /* TRANSLATORS: no language chosen: the administrator's default,
         * named in its own language ("日本語") and by its tag ("ja"). */
        (void)snprintf(out, out_size, T_(catalogue, "%s (%s, the default)"), name != NULL ? name : fallback,
                       fallback);
}

int setup_language(const struct setup_context *context, const char *tag)
{
    const struct i18n_catalogue *catalogue = context->catalogue;
    char chosen[I18N_TAG_MAX] = "", described[96];

    if (strcmp(tag, "default") != 0 && (!i18n_tag_is_valid(tag) || strlen(tag) >= sizeof chosen)) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: "default" is typed as it is. */
        fputs(T_(catalogue, "a language is a tag such as ja, de or pt-BR, or default\n"), stderr);
        return SETUP_USAGE;
    }
    if (strcmp(tag, "default") != 0)
        (void)snprintf(chosen, sizeof chosen, "%s", tag);
    if (chosen[0] != '\0' && strcmp(chosen, "en") != 0) {
        /* A damaged catalogue would refuse every login of the user: never
         * chosen. A missing one shows English until it is installed. */
        struct i18n_catalogue *loaded = NULL;
        struct i18n_error error;
        if (i18n_catalogue_load(context->config->translations_directory, chosen, &loaded, &error) != 0) {
            fprintf(stderr, "phonemfa-setup: %s\n", error.message);
            fputs("phonemfa-setup: ", stderr);
            /* TRANSLATORS: %s is a language tag ("ja"). */
            fprintf(stderr, T_(catalogue, "the translations for %s cannot be read; nothing was changed\n"), chosen);
            return SETUP_BROKEN;
        }
        if (loaded == NULL) {
            /* TRANSLATORS: %s is a language tag ("ja"). */
            printf(T_(catalogue, "note: no translation for %s is installed; English is shown until one is\n"),
                   chosen);
        }
        i18n_catalogue_free(loaded);
    }
    if (!setup_language_is_kept(context)) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is where the phones are (a directory's name). */
        fprintf(stderr, T_(catalogue, "a language is kept only in the local phone store, not in %s\n"),
                phone_directory_where(context->directory));
        return SETUP_REFUSED;
    }
    int result = setup_edit_record(context, setup_apply_language, chosen);
    if (result != SETUP_OK)
        return result;
    char detail[I18N_TAG_MAX + 16];
    (void)snprintf(detail, sizeof detail, "language=%s", chosen[0] != '\0' ? chosen : "default");
    setup_log_change(context, "language", NULL, NULL, detail);
    setup_describe_language(context, chosen, described, sizeof described);
    /* TRANSLATORS: the first %s is a user name, the second the language as
     * "Deutsch (de)" or "English (the default)". */
    printf(T_(catalogue, "%s: language set to %s\n"), context->user, described);
    return SETUP_OK;
}
