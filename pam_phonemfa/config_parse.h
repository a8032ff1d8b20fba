/* What the parts of the configuration parser share (config.c for the
 * service, login and policy settings; config_directory.c for where phones
 * come from). Not for use outside the parser. */
#ifndef PHONEMFA_CONFIG_PARSE_H
#define PHONEMFA_CONFIG_PARSE_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct parse_state {
    const char *path;
    struct config_error *error;
};

/* Every error names file, line and setting so an administrator can go
 * straight to it. Returns -1. */
int config_fail(struct parse_state *state, const config_setting_t *setting, const char *name, const char *format,
                ...) __attribute__((format(printf, 4, 5)));

const config_setting_t *config_member(const config_setting_t *root, const char *group, const char *name);
bool config_clean_text(const char *text, bool allow_space);

/* Each leaves *out untouched when the setting is absent. */
int config_get_string(struct parse_state *state, const config_setting_t *root, const char *group, const char *name,
                      size_t max_length, bool allow_space, char **out);
int config_get_path(struct parse_state *state, const config_setting_t *root, const char *group, const char *name,
                    char **out);
int config_get_integer(struct parse_state *state, const config_setting_t *root, const char *group, const char *name,
                       long long minimum, long long maximum, unsigned *out);

/* Durations are written in seconds and may have a fraction ("1.5"); they
 * are kept in the unit of the field they go to. */
enum duration_unit { IN_SECONDS = 1, IN_MILLISECONDS = 1000 };
int config_get_seconds(struct parse_state *state, const config_setting_t *root, const char *group, const char *name,
                       double minimum, double maximum, enum duration_unit unit, long *out);
int config_get_choice(struct parse_state *state, const config_setting_t *root, const char *group, const char *name,
                      const char *const *choices, int *out);

/* A secret kept in a file of its own (root's, mode 0600 or stricter): one
 * line of printable characters without spaces; `what` names it in errors. */
int config_read_secret(struct parse_state *state, const char *name, const char *file, size_t max_length,
                       const char *what, char **out);

/* The directory settings (config_directory.c). */
int config_parse_directory(struct parse_state *state, const config_setting_t *root, struct phonemfa_config *config);
void config_free_directory(struct phonemfa_config *config);

#endif
