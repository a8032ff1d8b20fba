/* The phone directory: the choice of backend, the local store ("files")
 * itself, and what the directory backends share (templates, numbers). */
#include "phone_directory.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "directory_backend.h"
#include "phone_store.h"
#include "record_dir.h"
#include "user_name.h"

/* Who "added" a phone in a cache record: the record format wants a name. */
#define CACHE_WRITER "phonemfad"

#define WHERE_MAX 320

struct phone_directory {
    const struct phonemfa_config *config;
    const struct log_sink *log;
    const struct directory_ops *ops; /* NULL: the local store */
    void *backend;
    char where[WHERE_MAX];
    char managed_by[WHERE_MAX + 32];
};

void directory_fail(struct directory_error *error, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    (void)vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
}

struct phone_directory *phone_directory_new(const struct phonemfa_config *config, struct http_pool *pool,
                                            const struct log_sink *log, struct directory_error *error)
{
    struct phone_directory *directory = calloc(1, sizeof *directory);

    if (directory == NULL) {
        directory_fail(error, "out of memory");
        return NULL;
    }
    directory->config = config;
    directory->log = log;
    switch (config->directory) {
    case DIRECTORY_FILES:
        (void)snprintf(directory->where, sizeof directory->where, "the local phone store (%s)",
                       config->store_directory);
        break;
    case DIRECTORY_LDAP:
        directory->ops = &directory_ldap_ops;
        directory->backend = directory_ldap_new(config, log, error);
        (void)snprintf(directory->where, sizeof directory->where, "the LDAP directory (%s)", config->ldap.uris[0]);
        break;
    case DIRECTORY_ENTRA:
        directory->ops = &directory_entra_ops;
        directory->backend = directory_entra_new(config, pool, log, error);
        (void)snprintf(directory->where, sizeof directory->where, "Microsoft Entra ID (tenant %s)",
                       config->entra.tenant);
        break;
    }
    if (directory->ops != NULL && directory->backend == NULL) {
        free(directory);
        return NULL;
    }
    if (config->directory_managed_by != NULL)
        (void)snprintf(directory->managed_by, sizeof directory->managed_by, "%s", config->directory_managed_by);
    else
        (void)snprintf(directory->managed_by, sizeof directory->managed_by, "your administrator, in %s",
                       directory->where);
    return directory;
}

void phone_directory_free(struct phone_directory *directory)
{
    if (directory == NULL)
        return;
    if (directory->ops != NULL)
        directory->ops->free(directory->backend);
    free(directory);
}

static enum directory_result store_read(const struct phone_directory *directory, const struct phone_store *store,
                                        const char *user, struct phone_record *record, struct directory_error *error)
{
    struct store_error store_error;

    switch (phone_store_read(store, user, record, &store_error)) {
    case STORE_FOUND:
        return DIRECTORY_FOUND;
    case STORE_NOT_ENROLLED:
        return DIRECTORY_NOT_ENROLLED;
    case STORE_ERROR:
        break;
    }
    (void)directory;
    directory_fail(error, "%s", store_error.message);
    return DIRECTORY_FAILED;
}

/* A template that takes only the part before '@' (%l) would give
 * alice@corp and alice@other, two accounts, one entry and its phones: a
 * name with a domain is taken only in directory.domain. */
static bool domain_allowed(const struct phone_directory *directory, const char *user, struct directory_error *error)
{
    const struct phonemfa_config *config = directory->config;
    const char *domain = user_name_domain(user);
    const char *template = config->directory == DIRECTORY_LDAP ? config->ldap.filter : config->entra.user_template;

    if (domain[0] == '\0')
        return true;
    if (config->directory_domain != NULL) {
        if (strcasecmp(domain, config->directory_domain) == 0)
            return true;
        directory_fail(error, "%s is not a user of directory.domain %s", user, config->directory_domain);
        return false;
    }
    if (strstr(template, "%l") != NULL && strstr(template, "%u") == NULL && strstr(template, "%d") == NULL) {
        directory_fail(error, "%s: the %s template takes only the name before '@', which users of other domains "
                              "share: set directory.domain", user,
                       config->directory == DIRECTORY_LDAP ? "ldap.filter" : "entra.user");
        return false;
    }
    return true;
}

/* -- the last-known phones (directory.cache_hours) ----------------------------------- */

/* The cache is a phone store of its own (root, 0700, one 0600 record per
 * user, atomic writes), each phone "added" when the directory last gave it. */
static int open_cache(const struct phone_directory *directory, struct phone_store *cache)
{
    struct record_dir created;
    struct record_dir_error dir_error;
    struct store_error error;

    if (record_dir_open_or_create(directory->config->directory_cache_path, "phone cache", &created, &dir_error) != 0) {
        log_message(directory->log, LOG_ERR, "phone cache: %s", dir_error.message);
        return -1;
    }
    record_dir_close(&created);
    if (phone_store_open(directory->config->directory_cache_path, cache, &error) != 0) {
        log_message(directory->log, LOG_ERR, "phone cache: %s", error.message);
        return -1;
    }
    return 0;
}

/* What the directory said now replaces what it said before: a phone gone
 * there is gone here (record NULL: the user has none). */
static void cache_update(const struct phone_directory *directory, const char *user, const struct phone_record *record)
{
    struct phone_store cache;
    struct store_error error;
    struct phone_record copy;

    if (directory->config->directory_cache_s == 0 || open_cache(directory, &cache) != 0)
        return;
    int lock = phone_store_lock(&cache, user, &error);
    int result = lock < 0 ? -1 : 0;
    if (result == 0 && record != NULL) {
        copy = *record;
        time_t now = time(NULL);
        for (int slot = 0; slot < SLOT_COUNT; slot++) {
            (void)snprintf(copy.phones[slot].added_by, sizeof copy.phones[slot].added_by, CACHE_WRITER);
            copy.phones[slot].added_at = now;
        }
        result = phone_store_write_locked(&cache, user, &copy, &error);
        explicit_bzero(&copy, sizeof copy);
    } else if (result == 0) {
        result = phone_store_remove_locked(&cache, user, &error);
    }
    if (result != 0)
        log_message(directory->log, LOG_ERR, "phone cache: %s", error.message);
    if (lock >= 0)
        phone_store_unlock(lock);
    phone_store_close(&cache);
}

/* The phones the directory last gave, if not older than the cache allows. */
static bool cache_read(const struct phone_directory *directory, const char *user, struct phone_record *record)
{
    struct phone_store cache;
    struct store_error error;
    time_t given = 0, now = time(NULL);

    if (directory->config->directory_cache_s == 0 || open_cache(directory, &cache) != 0)
        return false;
    enum store_read_result read = phone_store_read(&cache, user, record, &error);
    phone_store_close(&cache);
    if (read == STORE_ERROR)
        log_message(directory->log, LOG_ERR, "phone cache: %s", error.message);
    if (read != STORE_FOUND)
        return false;
    for (int slot = 0; slot < SLOT_COUNT; slot++)
        if (record->phones[slot].present && (given == 0 || record->phones[slot].added_at < given))
            given = record->phones[slot].added_at;
    if (given == 0 || given > now || now - given > directory->config->directory_cache_s) {
        memset(record, 0, sizeof *record);
        return false;
    }
    log_message(directory->log, LOG_WARNING,
                "phone directory unavailable: %s's phones as it gave them %ld minutes ago (directory.cache_hours)", user,
                (long)(now - given) / 60);
    return true;
}

enum directory_result phone_directory_read(struct phone_directory *directory, const char *user,
                                           struct phone_record *record, struct directory_error *error)
{
    enum directory_result result = DIRECTORY_FAILED;

    memset(record, 0, sizeof *record);
    if (!user_name_is_valid(user)) {
        directory_fail(error, "not a valid user name");
        return DIRECTORY_FAILED;
    }
    if (directory->ops == NULL) {
        struct phone_store store;
        struct store_error store_error;
        if (phone_store_open(directory->config->store_directory, &store, &store_error) != 0) {
            directory_fail(error, "%s", store_error.message);
            return DIRECTORY_FAILED;
        }
        result = store_read(directory, &store, user, record, error);
        phone_store_close(&store);
        return result;
    }
    if (!domain_allowed(directory, user, error))
        return DIRECTORY_FAILED;
    struct directory_entry *entry = calloc(1, sizeof *entry);
    if (entry == NULL) {
        directory_fail(error, "out of memory");
        return DIRECTORY_FAILED;
    }
    result = directory->ops->read(directory->backend, user, entry, error);
    if (result == DIRECTORY_FOUND)
        *record = entry->record;
    if (result == DIRECTORY_FOUND || result == DIRECTORY_NOT_ENROLLED || result == DIRECTORY_FAILED)
        cache_update(directory, user, result == DIRECTORY_FOUND ? record : NULL);
    else if (cache_read(directory, user, record))
        result = DIRECTORY_FOUND;
    explicit_bzero(entry, sizeof *entry);
    free(entry);
    return result;
}

static int store_edit(struct phone_directory *directory, const char *user,
                      int (*change)(void *, struct phone_record *, bool *), void *argument,
                      struct directory_error *error)
{
    struct phone_store store;
    struct store_error store_error;
    struct phone_record record;
    int result = DIRECTORY_EDIT_FAILED;

    if (phone_store_open(directory->config->store_directory, &store, &store_error) != 0) {
        directory_fail(error, "%s", store_error.message);
        return DIRECTORY_EDIT_FAILED;
    }
    int lock = phone_store_lock(&store, user, &store_error);
    if (lock < 0) {
        directory_fail(error, "%s", store_error.message);
        phone_store_close(&store);
        return DIRECTORY_EDIT_FAILED;
    }
    enum directory_result read = store_read(directory, &store, user, &record, error);
    if (read == DIRECTORY_FAILED)
        goto out;
    if (read == DIRECTORY_NOT_ENROLLED)
        memset(&record, 0, sizeof record);
    bool exists = read == DIRECTORY_FOUND;
    result = change(argument, &record, &exists);
    if (result != 0)
        goto out;
    int written = exists ? phone_store_write_locked(&store, user, &record, &store_error)
                         : phone_store_remove_locked(&store, user, &store_error);
    if (written != 0) {
        directory_fail(error, "%s", store_error.message);
        result = DIRECTORY_EDIT_FAILED;
    }
out:
    phone_store_unlock(lock);
    phone_store_close(&store);
    return result;
}

int phone_directory_edit(struct phone_directory *directory, const char *user,
                         int (*change)(void *argument, struct phone_record *record, bool *exists), void *argument,
                         struct directory_error *error)
{
    if (!user_name_is_valid(user)) {
        directory_fail(error, "not a valid user name");
        return DIRECTORY_EDIT_FAILED;
    }
    if (directory->ops == NULL)
        return store_edit(directory, user, change, argument, error);
    if (!domain_allowed(directory, user, error))
        return DIRECTORY_EDIT_FAILED;
    struct directory_entry *entry = calloc(1, sizeof *entry);
    struct phone_record *after = calloc(1, sizeof *after);
    int result = DIRECTORY_EDIT_FAILED;
    if (entry == NULL || after == NULL) {
        directory_fail(error, "out of memory");
        goto out;
    }
    enum directory_result read = directory->ops->read(directory->backend, user, entry, error);
    if (read == DIRECTORY_NOT_ENROLLED && entry->key[0] == '\0') {
        directory_fail(error, "%s is not in %s", user, directory->where);
        goto out;
    }
    if (read != DIRECTORY_FOUND && read != DIRECTORY_NOT_ENROLLED)
        goto out;
    *after = entry->record;
    bool exists = read == DIRECTORY_FOUND;
    result = change(argument, after, &exists);
    if (result != 0)
        goto out;
    if (!exists)
        memset(after, 0, sizeof *after);
    if (!phone_directory_keeps_details(directory) &&
        (after->has_preferred != entry->record.has_preferred ||
         (after->has_preferred && (after->preferred_slot != entry->record.preferred_slot ||
                                   after->preferred_channel != entry->record.preferred_channel)))) {
        directory_fail(error, "a preferred method is kept only in the local phone store, not in %s", directory->where);
        result = DIRECTORY_EDIT_FAILED;
        goto out;
    }
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        if (directory_slot_changed(&entry->record, after, slot) &&
            !(phone_directory_writable_slots(directory) & (1u << slot))) {
            directory_fail(error, "the %s phone cannot be changed in %s by phonemfa; it is managed by %s",
                           phone_slot_name((enum phone_slot)slot), directory->where, directory->managed_by);
            result = DIRECTORY_EDIT_FAILED;
            goto out;
        }
    }
    result = directory->ops->write(directory->backend, entry, after, error) == 0 ? 0 : DIRECTORY_EDIT_FAILED;
out:
    if (entry != NULL)
        explicit_bzero(entry, sizeof *entry);
    free(entry);
    free(after);
    return result;
}

unsigned phone_directory_writable_slots(const struct phone_directory *directory)
{
    const struct phonemfa_config *config = directory->config;
    unsigned slots = 0;

    switch (config->directory) {
    case DIRECTORY_FILES:
        slots = (1u << SLOT_COUNT) - 1;
        break;
    case DIRECTORY_LDAP:
        for (int slot = 0; config->ldap.write_bind_dn != NULL && slot < SLOT_COUNT; slot++)
            if (config->ldap.attributes[slot] != NULL)
                slots |= 1u << slot;
        break;
    case DIRECTORY_ENTRA:
        /* The authentication phone is the user's own, set in Security
         * info; phonemfa adds and removes the others. */
        if (config->entra.write)
            slots = (1u << SLOT_ALTERNATE) | (1u << SLOT_OFFICE);
        break;
    }
    return slots;
}

bool phone_directory_keeps_details(const struct phone_directory *directory)
{
    return directory->ops == NULL ||
           (directory->config->directory == DIRECTORY_LDAP && directory->config->ldap.details);
}

const char *phone_directory_where(const struct phone_directory *directory)
{
    return directory->where;
}

const char *phone_directory_managed_by(const struct phone_directory *directory)
{
    return directory->managed_by;
}

/* -- shared by the directory backends ------------------------------------------------ */

static bool append(char *out, size_t out_size, size_t *used, const char *text)
{
    size_t length = strlen(text);
    if (*used + length >= out_size)
        return false;
    memcpy(out + *used, text, length + 1);
    *used += length;
    return true;
}

bool directory_expand(const char *template, const char *user, bool (*escape)(const char *in, char *out, size_t size),
                      char *out, size_t out_size)
{
    char local[USER_NAME_LOCAL_MAX + 1], escaped[USER_NAME_MAX * 3 + 1];
    size_t used = 0;

    if (out_size == 0 || !user_name_local_part(user, local, sizeof local))
        return false;
    out[0] = '\0';
    for (const char *p = template; *p != '\0'; p++) {
        const char *part = NULL;
        char literal[2] = {*p, '\0'};
        if (*p == '%') {
            p++;
            part = *p == 'u' ? user : *p == 'l' ? local : *p == 'd' ? user_name_domain(user) : NULL;
            if (part == NULL && *p != '%')
                return false; /* the configuration refuses these: never reached */
            literal[0] = '%';
        }
        if (part != NULL && escape != NULL) {
            if (!escape(part, escaped, sizeof escaped))
                return false;
            part = escaped;
        }
        if (!append(out, out_size, &used, part != NULL ? part : literal))
            return false;
    }
    return true;
}

bool directory_slot_changed(const struct phone_record *before, const struct phone_record *after, int slot)
{
    const struct phone_entry *old = &before->phones[slot], *new = &after->phones[slot];

    if (old->present != new->present)
        return true;
    return old->present && (strcmp(old->number.e164, new->number.e164) != 0 ||
                            strcmp(old->number.extension, new->number.extension) != 0);
}

bool directory_parse_number(const char *value, unsigned default_country_code, struct phone_number *number,
                            const char **why)
{
    enum phone_parse_error parsed = PHONE_TOO_LONG;

    if (strlen(value) <= PHONE_INPUT_MAX)
        parsed = phone_parse(value, default_country_code, number);
    if (parsed == PHONE_OK)
        return true;
    *why = phone_parse_error_text(parsed);
    return false;
}
