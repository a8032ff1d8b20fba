/* libnss_casefold.so: a test NSS module, loaded by nss_wrapper
 * (NSS_WRAPPER_MODULE_SO_PATH, NSS_WRAPPER_MODULE_FN_PREFIX=casefold).
 * - getpwnam_r answers case-insensitively from the test's passwd file
 *   (NSS_WRAPPER_PASSWD), as some directory services do: "ALICE" finds the
 *   account "alice".
 * - groups from NSS_CASEFOLD_GROUP (a group file of the test's own, apart
 *   from NSS_WRAPPER_GROUP) with glibc's contract: a buffer too small is
 *   ERANGE, so the caller grows it. nss_wrapper 1.1.12's own files backend
 *   returns -1 there (errno ERANGE), which a caller cannot tell from an
 *   error, and it answers before any module: big groups must live here.
 * Everything else it leaves to nss_wrapper's files backend. */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#define UNUSED(x) (void)(x)

enum nss_status _nss_casefold_getpwnam_r(const char *name, struct passwd *pw, char *buffer, size_t size,
                                         int *errnop);
enum nss_status _nss_casefold_getpwuid_r(uid_t uid, struct passwd *pw, char *buffer, size_t size,
                                         int *errnop);
enum nss_status _nss_casefold_setpwent(void);
enum nss_status _nss_casefold_getpwent_r(struct passwd *pw, char *buffer, size_t size, int *errnop);
enum nss_status _nss_casefold_endpwent(void);
enum nss_status _nss_casefold_getgrnam_r(const char *name, struct group *gr, char *buffer, size_t size,
                                         int *errnop);
enum nss_status _nss_casefold_getgrgid_r(gid_t gid, struct group *gr, char *buffer, size_t size,
                                         int *errnop);
enum nss_status _nss_casefold_setgrent(void);
enum nss_status _nss_casefold_getgrent_r(struct group *gr, char *buffer, size_t size, int *errnop);
enum nss_status _nss_casefold_endgrent(void);
enum nss_status _nss_casefold_initgroups_dyn(const char *user, gid_t group, long int *start, long int *size,
                                             gid_t **groups, long int limit, int *errnop);

/* Splits a colon-separated line into at most `count` fields; returns how many. */
static int split(char *line, char **fields, int count)
{
    char *rest = line;
    int n = 0;

    line[strcspn(line, "\n")] = '\0';
    while (n < count && (fields[n] = strsep(&rest, ":")) != NULL)
        n++;
    return n;
}

enum nss_status _nss_casefold_getpwnam_r(const char *name, struct passwd *pw, char *buffer, size_t size,
                                         int *errnop)
{
    const char *path = getenv("NSS_WRAPPER_PASSWD");
    char *line = NULL;
    size_t line_size = 0;
    enum nss_status status = NSS_STATUS_NOTFOUND;

    if (path == NULL || name == NULL)
        return NSS_STATUS_UNAVAIL;
    FILE *file = fopen(path, "re");
    if (file == NULL)
        return NSS_STATUS_UNAVAIL;
    while (getline(&line, &line_size, file) > 0) {
        char *fields[7];
        if (split(line, fields, 7) != 7 || strcasecmp(fields[0], name) != 0)
            continue;
        static const int text_fields[5] = {0, 1, 4, 5, 6};
        char *copies[5];
        size_t used = 0;
        for (int i = 0; i < 5; i++) {
            size_t length = strlen(fields[text_fields[i]]) + 1;
            if (used + length > size) {
                *errnop = ERANGE;
                status = NSS_STATUS_TRYAGAIN;
                goto out;
            }
            copies[i] = memcpy(buffer + used, fields[text_fields[i]], length);
            used += length;
        }
        pw->pw_name = copies[0];
        pw->pw_passwd = copies[1];
        pw->pw_uid = (uid_t)strtoul(fields[2], NULL, 10);
        pw->pw_gid = (gid_t)strtoul(fields[3], NULL, 10);
        pw->pw_gecos = copies[2];
        pw->pw_dir = copies[3];
        pw->pw_shell = copies[4];
        status = NSS_STATUS_SUCCESS;
        break;
    }
out:
    free(line);
    fclose(file);
    return status;
}

/* One group line into *gr, or ERANGE. */
static enum nss_status fill_group(char **fields, struct group *gr, char *buffer, size_t size, int *errnop)
{
    size_t count = 1;
    for (const char *p = fields[3]; *p; p++)
        count += *p == ',';
    size_t align = (sizeof(char *) - (uintptr_t)buffer % sizeof(char *)) % sizeof(char *);
    size_t pointers = (count + 1) * sizeof(char *);
    size_t need = align + pointers + strlen(fields[0]) + strlen(fields[1]) + strlen(fields[3]) + 3;
    if (need > size) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    char **members = (char **)(void *)(buffer + align);
    char *text = buffer + align + pointers;
    gr->gr_name = strcpy(text, fields[0]);
    text += strlen(fields[0]) + 1;
    gr->gr_passwd = strcpy(text, fields[1]);
    text += strlen(fields[1]) + 1;
    strcpy(text, fields[3]);
    size_t n = 0;
    for (char *member; (member = strsep(&text, ",")) != NULL;)
        if (*member != '\0')
            members[n++] = member;
    members[n] = NULL;
    gr->gr_mem = members;
    gr->gr_gid = (gid_t)strtoul(fields[2], NULL, 10);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_casefold_getgrnam_r(const char *name, struct group *gr, char *buffer, size_t size,
                                         int *errnop)
{
    const char *path = getenv("NSS_CASEFOLD_GROUP");
    char *line = NULL;
    size_t line_size = 0;
    enum nss_status status = NSS_STATUS_NOTFOUND;

    if (path == NULL || name == NULL)
        return NSS_STATUS_NOTFOUND;
    FILE *file = fopen(path, "re");
    if (file == NULL)
        return NSS_STATUS_UNAVAIL;
    while (getline(&line, &line_size, file) > 0) {
        char *fields[4];
        if (split(line, fields, 4) != 4 || strcmp(fields[0], name) != 0)
            continue;
        status = fill_group(fields, gr, buffer, size, errnop);
        break;
    }
    free(line);
    fclose(file);
    return status;
}

/* Enumeration, which nss_wrapper's getgrouplist() walks. */
static FILE *group_file;
static long group_offset; /* of the line to return next: kept on ERANGE */

enum nss_status _nss_casefold_setgrent(void)
{
    const char *path = getenv("NSS_CASEFOLD_GROUP");

    if (group_file != NULL)
        fclose(group_file);
    group_file = path ? fopen(path, "re") : NULL;
    group_offset = 0;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_casefold_endgrent(void)
{
    if (group_file != NULL)
        fclose(group_file);
    group_file = NULL;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_casefold_getgrent_r(struct group *gr, char *buffer, size_t size, int *errnop)
{
    char *line = NULL;
    size_t line_size = 0;
    enum nss_status status = NSS_STATUS_NOTFOUND;

    if (group_file == NULL && (_nss_casefold_setgrent(), group_file == NULL))
        return NSS_STATUS_NOTFOUND;
    if (fseek(group_file, group_offset, SEEK_SET) != 0)
        return NSS_STATUS_UNAVAIL;
    while (getline(&line, &line_size, group_file) > 0) {
        char *fields[4];
        if (split(line, fields, 4) != 4)
            continue;
        status = fill_group(fields, gr, buffer, size, errnop);
        if (status == NSS_STATUS_SUCCESS)
            group_offset = ftell(group_file);
        break;
    }
    free(line);
    return status;
}

enum nss_status _nss_casefold_getpwuid_r(uid_t uid, struct passwd *pw, char *buffer, size_t size,
                                         int *errnop)
{
    UNUSED(uid), UNUSED(pw), UNUSED(buffer), UNUSED(size), UNUSED(errnop);
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_casefold_getgrgid_r(gid_t gid, struct group *gr, char *buffer, size_t size,
                                         int *errnop)
{
    UNUSED(gid), UNUSED(gr), UNUSED(buffer), UNUSED(size), UNUSED(errnop);
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_casefold_getpwent_r(struct passwd *pw, char *buffer, size_t size, int *errnop)
{
    UNUSED(pw), UNUSED(buffer), UNUSED(size), UNUSED(errnop);
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_casefold_initgroups_dyn(const char *user, gid_t group, long int *start, long int *size,
                                             gid_t **groups, long int limit, int *errnop)
{
    UNUSED(user), UNUSED(group), UNUSED(start), UNUSED(size), UNUSED(groups), UNUSED(limit), UNUSED(errnop);
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_casefold_setpwent(void) { return NSS_STATUS_SUCCESS; }
enum nss_status _nss_casefold_endpwent(void) { return NSS_STATUS_SUCCESS; }
