/* What a phone directory backend provides to phone_directory.c. */
#ifndef PHONEMFA_DIRECTORY_BACKEND_H
#define PHONEMFA_DIRECTORY_BACKEND_H

#include <stddef.h>

#include "phone_directory.h"

/* A user's entry as a backend read it. raw: what a change of the slot
 * needs besides the number (Graph: the phone method's id). */
#define DIRECTORY_RAW_MAX 128
struct directory_entry {
    struct phone_record record;
    char raw[SLOT_COUNT][DIRECTORY_RAW_MAX]; /* "" for an empty slot */
    char key[256]; /* the entry's DN, or the user's principal name; "" when the user is not there */
};

struct directory_ops {
    enum directory_result (*read)(void *backend, const char *user, struct directory_entry *entry,
                                  struct directory_error *error);
    /* Save the slots of `after` that differ from `before` (both as read). */
    int (*write)(void *backend, const struct directory_entry *before, const struct phone_record *after,
                 struct directory_error *error);
    void (*free)(void *backend);
};

void *directory_ldap_new(const struct phonemfa_config *config, const struct log_sink *log,
                         struct directory_error *error);
extern const struct directory_ops directory_ldap_ops;

struct http_pool;
void *directory_entra_new(const struct phonemfa_config *config, struct http_pool *pool, const struct log_sink *log,
                          struct directory_error *error);
extern const struct directory_ops directory_entra_ops;

/* A template with %u, %l, %d and %% filled in from user; escape (may be
 * NULL) rewrites each substituted part. false when it does not fit. */
bool directory_expand(const char *template, const char *user, bool (*escape)(const char *in, char *out, size_t size),
                      char *out, size_t out_size);

/* A number as a directory holds it ("+1 555 555 0117", "+44 20 7946 0958
 * x123", "0170 1234567" with the default country) into the record's form;
 * false (with why) for a value that is no usable phone number. */
bool directory_parse_number(const char *value, unsigned default_country_code, struct phone_number *number,
                            const char **why);

/* Whether the slot's number differs (what the directory keeps of it). */
bool directory_slot_changed(const struct phone_record *before, const struct phone_record *after, int slot);

void directory_fail(struct directory_error *error, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
