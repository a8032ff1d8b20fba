#include "nss_lookup.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* NSS answers grow with the directory: a group of thousands of members
 * needs hundreds of KiB. Beyond this something is wrong. */
#define NSS_BUFFER_START 4096
#define NSS_BUFFER_LIMIT (64u * 1024 * 1024)
#define GROUPS_START 64
#define GROUPS_LIMIT 65536

static int failed(char *error, size_t error_size, const char *what, const char *name, int code)
{
    char reason[128];

    (void)snprintf(error, error_size, "%s '%s': %s", what, name,
                   code == 0 ? "no answer" : strerror_r(code, reason, sizeof reason));
    return -1;
}

/* getpwnam_r / getgrnam_r with a buffer that grows on ERANGE. *buffer is
 * the caller's to free. Returns 0 (found or not: *found says), or an errno. */
static int lookup_user(const char *name, struct passwd *pw, char **buffer, bool *found)
{
    for (size_t size = NSS_BUFFER_START; size <= NSS_BUFFER_LIMIT; size *= 2) {
        struct passwd *result = NULL;
        char *grown = realloc(*buffer, size);
        if (grown == NULL)
            return ENOMEM;
        *buffer = grown;
        int rc = getpwnam_r(name, pw, *buffer, size, &result);
        if (rc == ERANGE)
            continue;
        /* glibc reports "no such user" as 0 or ENOENT depending on the source. */
        if (rc != 0 && rc != ENOENT)
            return rc;
        *found = result != NULL;
        return 0;
    }
    return ERANGE;
}

static int lookup_group(const char *name, struct group *gr, char **buffer, bool *found)
{
    for (size_t size = NSS_BUFFER_START; size <= NSS_BUFFER_LIMIT; size *= 2) {
        struct group *result = NULL;
        char *grown = realloc(*buffer, size);
        if (grown == NULL)
            return ENOMEM;
        *buffer = grown;
        int rc = getgrnam_r(name, gr, *buffer, size, &result);
        if (rc == ERANGE)
            continue;
        if (rc != 0 && rc != ENOENT)
            return rc;
        *found = result != NULL;
        return 0;
    }
    return ERANGE;
}

enum nss_result nss_canonical_user(const char *name, char canonical[USER_NAME_MAX + 1], char *error,
                                   size_t error_size)
{
    struct passwd pw;
    char *buffer = NULL;
    bool found = false;
    enum nss_result result = NSS_FAILED;

    canonical[0] = '\0';
    int rc = lookup_user(name, &pw, &buffer, &found);
    if (rc != 0) {
        failed(error, error_size, "user lookup failed for", name, rc);
    } else if (!found) {
        result = NSS_NOT_FOUND;
    } else if (!user_name_is_valid(pw.pw_name)) {
        (void)snprintf(error, error_size, "user lookup for '%s' answered a name that is not valid here", name);
    } else {
        (void)snprintf(canonical, USER_NAME_MAX + 1, "%s", pw.pw_name);
        result = NSS_FOUND;
    }
    free(buffer);
    return result;
}

enum nss_result nss_user_uid(const char *name, unsigned long *uid, char *error, size_t error_size)
{
    struct passwd pw;
    char *buffer = NULL;
    bool found = false;
    enum nss_result result = NSS_FAILED;

    int rc = lookup_user(name, &pw, &buffer, &found);
    if (rc != 0) {
        failed(error, error_size, "user lookup failed for", name, rc);
    } else if (!found) {
        result = NSS_NOT_FOUND;
    } else {
        *uid = (unsigned long)pw.pw_uid;
        result = NSS_FOUND;
    }
    free(buffer);
    return result;
}

/* Every group the user is in, primary included, in a growing array. */
static int user_groups(const char *user, gid_t primary, gid_t **groups, int *count)
{
    int capacity = GROUPS_START;

    *groups = NULL;
    while (capacity <= GROUPS_LIMIT) {
        gid_t *grown = realloc(*groups, (size_t)capacity * sizeof **groups);
        if (grown == NULL)
            return ENOMEM;
        *groups = grown;
        int n = capacity;
        if (getgrouplist(user, primary, *groups, &n) >= 0) {
            *count = n;
            return 0;
        }
        /* n now says how many there are; grow at least twofold. */
        capacity = n > capacity ? n : capacity * 2;
    }
    return ERANGE;
}

int nss_user_in_groups(const char *user, const struct name_list *groups, bool missing_is_error,
                       bool *member, char *error, size_t error_size)
{
    struct passwd pw;
    struct group gr;
    char *buffer = NULL;
    gid_t *gids = NULL;
    int count = 0;
    bool found = false;
    int result = -1;

    *member = false;
    if (groups->count == 0)
        return 0;
    int rc = lookup_user(user, &pw, &buffer, &found);
    if (rc != 0 || !found) {
        failed(error, error_size, rc != 0 ? "user lookup failed for" : "no such user", user, rc);
        goto out;
    }
    /* The buffer is reused for groups below: keep what is needed of pw. */
    gid_t primary = pw.pw_gid;
    rc = user_groups(user, primary, &gids, &count);
    if (rc != 0) {
        failed(error, error_size, "could not list the groups of", user, rc);
        goto out;
    }
    for (size_t i = 0; i < groups->count && !*member; i++) {
        rc = lookup_group(groups->names[i], &gr, &buffer, &found);
        if (rc != 0) {
            failed(error, error_size, "could not look up group", groups->names[i], rc);
            goto out;
        }
        if (!found) {
            if (missing_is_error) {
                (void)snprintf(error, error_size, "group '%s' does not exist", groups->names[i]);
                goto out;
            }
            continue;
        }
        /* getgrouplist() cannot say that a source failed, and may then
         * answer a partial list: the group's own answer counts as well. */
        *member = gr.gr_gid == primary;
        for (char **name = gr.gr_mem; name != NULL && *name != NULL && !*member; name++)
            *member = strcmp(*name, user) == 0;
        for (int g = 0; g < count && !*member; g++)
            *member = gids[g] == gr.gr_gid;
    }
    result = 0;
out:
    free(gids);
    free(buffer);
    return result;
}
