/* Finding and reading a language's catalogue: root's file only, as any
 * other file that decides what a user is told at login. */
#include "i18n.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "safe_file.h"

#define CATALOGUE_MAX_BYTES (4u * 1024u * 1024u)

/* "pt-BR" -> "pt_BR" (the directory gettext uses), and "pt". */
static void directory_names(const char *tag, char full[I18N_TAG_MAX], char language[I18N_TAG_MAX])
{
    size_t i;

    for (i = 0; tag[i] != '\0' && i + 1 < I18N_TAG_MAX; i++)
        full[i] = tag[i] == '-' ? '_' : tag[i];
    full[i] = '\0';
    for (i = 0; tag[i] != '\0' && tag[i] != '-' && i + 1 < I18N_TAG_MAX; i++)
        language[i] = tag[i];
    language[i] = '\0';
}

int i18n_catalogue_load(const char *localedir, const char *tag, struct i18n_catalogue **catalogue,
                        struct i18n_error *error)
{
    char full[I18N_TAG_MAX], language[I18N_TAG_MAX];
    const char *names[2];
    size_t name_count = 0;

    *catalogue = NULL;
    if (tag == NULL)
        return 0;
    if (!i18n_tag_is_valid(tag)) {
        (void)snprintf(error->message, sizeof error->message, "language tag is not valid");
        return -1;
    }
    directory_names(tag, full, language);
    names[name_count++] = full;
    if (strcmp(full, language) != 0)
        names[name_count++] = language;

    for (size_t i = 0; i < name_count; i++) {
        char path[4096];
        struct safe_file_error file_error;
        char *content = NULL;
        size_t length = 0;

        int written = snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/%s.mo", localedir, names[i],
                               PHONEMFA_TEXT_DOMAIN);
        if (written < 0 || (size_t)written >= sizeof path) {
            (void)snprintf(error->message, sizeof error->message, "catalogue path is too long");
            return -1;
        }
        /* Absent is normal: a language nobody has translated yet is read in
         * English (and still asked of the service). Anything else that stops
         * the read is a fault of the installation. */
        struct stat st;
        if (lstat(path, &st) != 0 && errno == ENOENT)
            continue;
        if (safe_read_file(path, CATALOGUE_MAX_BYTES, SAFE_FILE_BINARY, &content, &length, NULL,
                           &file_error) != 0) {
            (void)snprintf(error->message, sizeof error->message, "%s", file_error.message);
            return -1;
        }
        struct i18n_error parse_error;
        int result = i18n_catalogue_parse((const unsigned char *)content, length, catalogue, &parse_error);
        free(content);
        if (result != 0) {
            (void)snprintf(error->message, sizeof error->message, "%.200s: %.300s", path, parse_error.message);
            return -1;
        }
        return 0;
    }
    return 0;
}
