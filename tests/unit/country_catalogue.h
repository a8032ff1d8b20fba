/* A small Japanese catalogue built at test time: a .po file compiled by
 * msgfmt in a private directory under $TMPDIR, read, and removed, so the
 * tests search real .mo bytes and leave nothing behind. */
#ifndef PHONEMFA_COUNTRY_CATALOGUE_H
#define PHONEMFA_COUNTRY_CATALOGUE_H

#include <spawn.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"

extern char **environ;

static const char japanese_po[] =
    "msgid \"\"\n"
    "msgstr \"\"\n"
    "\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
    "\"Plural-Forms: nplurals=1; plural=0;\\n\"\n"
    "\n"
    "msgctxt \"country\"\nmsgid \"Japan\"\nmsgstr \"日本\"\n\n"
    "msgctxt \"country\"\nmsgid \"United Kingdom\"\nmsgstr \"イギリス\"\n\n"
    "msgctxt \"country\"\nmsgid \"United States\"\nmsgstr \"アメリカ合衆国\"\n\n"
    "msgctxt \"country\"\nmsgid \"South Korea\"\nmsgstr \"韓国\"\n\n"
    "msgctxt \"country\"\nmsgid \"North Korea\"\nmsgstr \"北朝鮮\"\n\n"
    "msgid \"Country or calling code [%s]: \"\nmsgstr \"国または国番号 [%s]: \"\n\n";

static void write_all(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
}

static struct i18n_catalogue *japanese_catalogue(void)
{
    const char *tmp = getenv("TMPDIR");
    char directory[512], po[600], mo[600];
    struct i18n_catalogue *catalogue = NULL;
    struct i18n_error error;

    (void)snprintf(directory, sizeof directory, "%s/phonemfa-country.XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(directory));
    (void)snprintf(po, sizeof po, "%s/ja.po", directory);
    (void)snprintf(mo, sizeof mo, "%s/ja.mo", directory);
    write_all(po, japanese_po);

    /* Cleaned up before any assertion, so a failure leaves nothing either. */
    char program[] = "msgfmt", output_flag[] = "-o";
    char *argv[] = {program, output_flag, mo, po, NULL};
    pid_t child;
    int status = -1;
    bool compiled = posix_spawnp(&child, "msgfmt", NULL, NULL, argv, environ) == 0 &&
                    waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    static unsigned char data[8192];
    size_t length = 0;
    FILE *file = compiled ? fopen(mo, "rb") : NULL;
    if (file != NULL) {
        length = fread(data, 1, sizeof data, file);
        (void)fclose(file);
    }
    (void)unlink(po);
    (void)unlink(mo);
    (void)rmdir(directory);
    assert_true(compiled);
    assert_true(length > 0 && length < sizeof data);
    if (i18n_catalogue_parse(data, length, &catalogue, &error) != 0)
        fail_msg("the test catalogue: %s", error.message);
    assert_non_null(catalogue);
    return catalogue;
}

#endif
