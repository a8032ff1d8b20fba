/* Who phonemfa-setup works on: the user name as a login would see it, and
 * the users the local phone store holds (the users command, and check's
 * look for records of users that no longer exist). */
#include "setup_users.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nss_lookup.h"
#include "phone_directory.h"
#include "i18n.h"
#include "phone_store.h"

int setup_canonical_user(struct setup_context *context, const char *name, char canonical[USER_NAME_MAX + 1])
{
    char error[NSS_ERROR_MAX] = "no answer";
    int result = SETUP_BROKEN;

    /* The name a login would use: the module looks every user up the same
     * way (auth_flow.c), so --user Alice addresses alice's record. */
    switch (nss_canonical_user(name, canonical, error, sizeof error)) {
    case NSS_FOUND:
        context->user = canonical;
        context->user_unknown = false;
        result = SETUP_OK;
        break;
    case NSS_NOT_FOUND:
        /* Still addressable, so that a deleted user's record can be listed
         * and reset; an add refuses it (setup_add). */
        context->user = name;
        context->user_unknown = true;
        result = SETUP_OK;
        break;
    case NSS_FAILED:
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: the first %s is a user name, the second the lookup's
         * technical reason (not translated). */
        fprintf(stderr, T_(context->catalogue, "cannot tell whether %s exists (%s); nothing was done\n"), name, error);
        break;
    }
    return result;
}

static int is_record(const struct dirent *entry)
{
    size_t length = strlen(entry->d_name);
    return entry->d_name[0] != '.' && length > 5 && strcmp(entry->d_name + length - 5, ".json") == 0;
}

int setup_each_record(const char *directory, void (*visit)(const char *user, void *argument), void *argument)
{
    struct dirent **entries = NULL;
    int count = scandir(directory, &entries, is_record, alphasort);

    if (count < 0)
        return -1;
    for (int i = 0; i < count; i++) {
        /* Room for a name a little too long, so that check reports it
         * (through its read) rather than pass over it. */
        char user[USER_NAME_MAX + 8];
        size_t length = strlen(entries[i]->d_name) - 5;
        if (length < sizeof user) {
            memcpy(user, entries[i]->d_name, length);
            user[length] = '\0';
            visit(user, argument);
        }
        free(entries[i]);
    }
    free(entries);
    return 0;
}

enum user_existence setup_user_exists(const char *user, char *error, size_t error_size)
{
    char canonical[USER_NAME_MAX + 1];

    switch (nss_canonical_user(user, canonical, error, error_size)) {
    case NSS_FOUND:
        return strcmp(canonical, user) == 0 ? USER_EXISTS : USER_OTHER_SPELLING;
    case NSS_NOT_FOUND:
        return USER_MISSING;
    case NSS_FAILED:
        break;
    }
    return USER_LOOKUP_FAILED;
}

struct listing {
    const struct phone_store *store;
    const struct i18n_catalogue *catalogue;
    unsigned users;
};

static void list_user(const char *user, void *argument)
{
    struct listing *listing = argument;
    struct phone_record record;
    struct store_error error;
    char lookup_error[NSS_ERROR_MAX];

    if (!user_name_is_valid(user))
        return;
    listing->users++;
    printf("%-20s", user);
    if (phone_store_read(listing->store, user, &record, &error) != STORE_FOUND) {
        /* TRANSLATORS: after a user name in the list of users; %s is the
         * user name again, in a command to type (keep the command). */
        printf(T_(listing->catalogue, " record cannot be read (phonemfa-setup check says why; --user %s reset "
                                      "replaces it)\n"),
               user);
        return;
    }
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        char masked[PHONE_MASK_MAX];
        if (!record.phones[slot].present)
            continue;
        phone_mask(&record.phones[slot].number, masked, sizeof masked);
        printf(" %s %s", phone_slot_name((enum phone_slot)slot), masked);
    }
    /* The user's own language, as the command line sets it (data). */
    if (record.language[0] != '\0')
        printf(" language=%s", record.language);
    enum user_existence exists = setup_user_exists(user, lookup_error, sizeof lookup_error);
    /* TRANSLATORS: the end of a line of the list of users. */
    printf("%s\n", exists == USER_MISSING         ? T_(listing->catalogue, "  (no such user: an orphan record)")
                   : exists == USER_LOOKUP_FAILED ? T_(listing->catalogue, "  (the user lookup failed)")
                                                  : "");
}

int setup_users(const struct setup_context *context)
{
    const struct phonemfa_config *config = context->config;
    struct phone_store store;
    struct store_error error;

    if (config->directory != DIRECTORY_FILES) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is a directory service's name; users and
         * --user NAME list are typed as they are. */
        fprintf(stderr, T_(context->catalogue, "users lists the local phone store only; the phones are in %s, which "
                                               "phonemfa reads one user at a time and never enumerates (it may read, "
                                               "not search, the whole directory): use the directory's own tools, or "
                                               "--user NAME list\n"),
                phone_directory_where(context->directory));
        return SETUP_REFUSED;
    }
    if (phone_store_open(config->store_directory, &store, &error) != 0) {
        fprintf(stderr, "phonemfa-setup: %s\n", error.message);
        return SETUP_BROKEN;
    }
    struct listing listing = {.store = &store, .catalogue = context->catalogue};
    int rc = setup_each_record(config->store_directory, list_user, &listing);
    phone_store_close(&store);
    if (rc != 0) {
        fputs("phonemfa-setup: ", stderr);
        /* TRANSLATORS: %s is a directory (a path). */
        fprintf(stderr, T_(context->catalogue, "cannot list %s\n"), config->store_directory);
        return SETUP_BROKEN;
    }
    /* TRANSLATORS: %u is a number of users, %s where the phones are kept
     * (a directory). */
    printf(TP_(context->catalogue, "%u enrolled user in %s\n", "%u enrolled users in %s\n", listing.users),
           listing.users, phone_directory_where(context->directory));
    return SETUP_OK;
}
