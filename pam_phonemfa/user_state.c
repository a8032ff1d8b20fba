#include "user_state.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "phone_record.h"

static int fail(char *error, size_t error_size, const char *message)
{
    (void)snprintf(error, error_size, "%s", message);
    return -1;
}

static int parse_times(const json_t *array, time_t *out, size_t *count, const char *name, char *error,
                       size_t error_size)
{
    size_t index;
    const json_t *value;

    *count = 0;
    if (array == NULL)
        return 0;
    if (!json_is_array(array) || json_array_size(array) > STATE_MAX_EVENTS) {
        (void)snprintf(error, error_size, "%s: must be a list of at most %d times", name, STATE_MAX_EVENTS);
        return -1;
    }
    json_array_foreach(array, index, value) {
        if (!json_is_string(value) || !phone_record_parse_time(json_string_value(value), &out[*count])) {
            (void)snprintf(error, error_size, "%s: must hold UTC times", name);
            return -1;
        }
        (*count)++;
    }
    return 0;
}

static bool clean_key(const char *text)
{
    size_t length = strlen(text);

    if (length == 0 || length > STATE_KEY_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return false;
    return true;
}

int user_state_parse(const char *json, size_t length, struct user_state *state, char *error,
                     size_t error_size)
{
    json_error_t json_error;
    const char *key;
    json_t *value;
    int result = -1;

    memset(state, 0, sizeof *state);
    json_t *root = json_loadb(json, length, JSON_REJECT_DUPLICATES, &json_error);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return fail(error, error_size, "not a JSON object");
    }
    json_object_foreach(root, key, value) {
        if (strcmp(key, "version") && strcmp(key, "failures") && strcmp(key, "locked_until") &&
            strcmp(key, "sends") && strcmp(key, "remembered")) {
            (void)snprintf(error, error_size, "unknown field '%.40s'", key);
            log_sanitize_service_text(error); /* a name from the file, on its way to a log */
            goto out;
        }
    }
    const json_t *version = json_object_get(root, "version");
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        fail(error, error_size, "version: must be 1");
        goto out;
    }
    if (parse_times(json_object_get(root, "failures"), state->failures, &state->failure_count,
                    "failures", error, error_size) != 0 ||
        parse_times(json_object_get(root, "sends"), state->sends, &state->send_count, "sends", error,
                    error_size) != 0)
        goto out;
    const json_t *locked = json_object_get(root, "locked_until");
    if (locked != NULL && !json_is_null(locked) &&
        (!json_is_string(locked) || !phone_record_parse_time(json_string_value(locked), &state->locked_until))) {
        fail(error, error_size, "locked_until: must be a UTC time or null");
        goto out;
    }
    const json_t *remembered = json_object_get(root, "remembered");
    if (remembered != NULL) {
        size_t index;
        const json_t *entry;
        if (!json_is_array(remembered) || json_array_size(remembered) > STATE_MAX_REMEMBERED) {
            fail(error, error_size, "remembered: must be a short list");
            goto out;
        }
        json_array_foreach(remembered, index, entry) {
            struct remembered_login *login = &state->remembered[state->remembered_count];
            const json_t *k = json_object_get(entry, "key");
            const json_t *phones = json_object_get(entry, "phones");
            const json_t *until = json_object_get(entry, "until");
            if (!json_is_object(entry) || json_object_size(entry) != 3 || !json_is_string(k) ||
                !json_is_string(phones) || !json_is_string(until) || !clean_key(json_string_value(k)) ||
                !clean_key(json_string_value(phones)) ||
                !phone_record_parse_time(json_string_value(until), &login->until)) {
                fail(error, error_size, "remembered: entries must be {key, phones, until}");
                goto out;
            }
            (void)snprintf(login->key, sizeof login->key, "%s", json_string_value(k));
            (void)snprintf(login->phones, sizeof login->phones, "%s", json_string_value(phones));
            state->remembered_count++;
        }
    }
    result = 0;
out:
    json_decref(root);
    return result;
}

static json_t *times_array(const time_t *times, size_t count)
{
    json_t *array = json_array();
    char text[21];

    for (size_t i = 0; array != NULL && i < count; i++) {
        phone_record_format_time(times[i], text);
        if (json_array_append_new(array, json_string(text)) != 0) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

char *user_state_serialize(const struct user_state *state)
{
    char text[21];
    char *result = NULL;
    json_t *root = json_object();
    json_t *remembered = json_array();

    if (root == NULL || remembered == NULL) {
        json_decref(root);
        json_decref(remembered);
        return NULL;
    }
    if (json_object_set_new(root, "remembered", remembered) != 0)
        goto out;
    for (size_t i = 0; i < state->remembered_count; i++) {
        phone_record_format_time(state->remembered[i].until, text);
        if (json_array_append_new(remembered, json_pack("{s:s, s:s, s:s}", "key", state->remembered[i].key,
                                                        "phones", state->remembered[i].phones,
                                                        "until", text)) != 0)
            goto out;
    }
    phone_record_format_time(state->locked_until, text);
    if (json_object_set_new(root, "version", json_integer(1)) != 0 ||
        json_object_set_new(root, "failures", times_array(state->failures, state->failure_count)) != 0 ||
        json_object_set_new(root, "sends", times_array(state->sends, state->send_count)) != 0 ||
        json_object_set_new(root, "locked_until", state->locked_until ? json_string(text) : json_null()) != 0)
        goto out;
    result = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
out:
    json_decref(root);
    return result;
}

int user_state_read(const struct record_dir *dir, const char *user, struct user_state *state,
                    struct record_dir_error *error)
{
    char *content = NULL;
    size_t length = 0;
    char parse_error[128];

    memset(state, 0, sizeof *state);
    switch (record_dir_read(dir, user, ".state", STATE_FILE_MAX, &content, &length, error)) {
    case RECORD_ABSENT:
        return 0;
    case RECORD_ERROR:
        return -1;
    case RECORD_FOUND:
        break;
    }
    int result = user_state_parse(content, length, state, parse_error, sizeof parse_error);
    free(content);
    if (result != 0)
        (void)snprintf(error->message, sizeof error->message, "%s/%s.state: %s", dir->path, user, parse_error);
    return result;
}

int user_state_update(const struct record_dir *dir, const char *user,
                      int (*change)(struct user_state *state, void *context), void *context,
                      struct record_dir_error *error)
{
    struct user_state *state = malloc(sizeof *state);
    int result = -1;

    if (state == NULL) {
        (void)snprintf(error->message, sizeof error->message, "out of memory");
        return -1;
    }
    int lock = record_dir_lock(dir, user, error);
    if (lock < 0)
        goto out;
    if (user_state_read(dir, user, state, error) == 0) {
        int changed = change(state, context);
        if (changed == 1) {
            result = 0;
        } else if (changed == 0) {
            char *text = user_state_serialize(state);
            if (text == NULL)
                (void)snprintf(error->message, sizeof error->message, "out of memory");
            else
                result = record_dir_write_locked(dir, user, ".state", text, error);
            free(text);
        } else {
            (void)snprintf(error->message, sizeof error->message, "state change refused");
        }
    }
    record_dir_unlock(lock);
out:
    free(state);
    return result;
}

void user_state_prune(time_t *events, size_t *count, time_t now, long window)
{
    size_t kept = 0;

    for (size_t i = 0; i < *count; i++)
        if (events[i] > now - window)
            events[kept++] = events[i];
    *count = kept;
}
