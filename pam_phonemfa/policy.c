#include "policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user_state.h"

#define NSS_BUFFER 16384
#define MAX_GROUPS 256

const char *policy_exemption_reason(enum exemption exemption)
{
    switch (exemption) {
    case NOT_EXEMPT: return "not_exempt";
    case EXEMPT_USER: return "exempt_user";
    case EXEMPT_GROUP: return "exempt_group";
    case NOT_IN_REQUIRED_GROUP: return "not_in_required_group";
    case TRUSTED_NETWORK: return "trusted_network";
    }
    return "not_exempt";
}

static bool name_listed(const char *name, const struct name_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(name, list->names[i]) == 0)
            return true;
    return false;
}

bool policy_user_in_groups(const char *user, const struct name_list *groups)
{
    struct passwd pw, *pw_result = NULL;
    gid_t member_of[MAX_GROUPS];
    int count = MAX_GROUPS;
    char *buffer = malloc(NSS_BUFFER);
    bool found = false;

    if (buffer == NULL || groups->count == 0)
        goto out;
    if (getpwnam_r(user, &pw, buffer, NSS_BUFFER, &pw_result) != 0 || pw_result == NULL)
        goto out;
    /* A user in more groups than fit is treated as in none listed: the
     * caller decides what "not a member" means, and fails closed. */
    if (getgrouplist(user, pw.pw_gid, member_of, &count) < 0)
        goto out;
    for (size_t i = 0; i < groups->count && !found; i++) {
        struct group gr, *gr_result = NULL;
        if (getgrnam_r(groups->names[i], &gr, buffer, NSS_BUFFER, &gr_result) != 0 || gr_result == NULL)
            continue;
        for (int g = 0; g < count && !found; g++)
            found = member_of[g] == gr.gr_gid;
    }
out:
    free(buffer);
    return found;
}

static bool prefix_matches(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;

    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool policy_address_in(const struct phonemfa_config *config, const char *remote_host)
{
    unsigned char address[16];
    int family;

    if (remote_host == NULL || remote_host[0] == '\0')
        return false;
    if (inet_pton(AF_INET, remote_host, address) == 1) {
        family = AF_INET;
    } else if (inet_pton(AF_INET6, remote_host, address) == 1) {
        family = AF_INET6;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(address, mapped, sizeof mapped) == 0) { /* ::ffff:192.0.2.1 is IPv4 */
            memmove(address, address + 12, 4);
            family = AF_INET;
        }
    } else {
        return false; /* a host name: never resolved, never trusted */
    }
    for (size_t i = 0; i < config->trusted_network_count; i++) {
        const struct network *network = &config->trusted_networks[i];
        if (network->family == family && prefix_matches(address, network->address, network->prefix_length))
            return true;
    }
    return false;
}

enum exemption policy_exemption(const struct phonemfa_config *config, const char *user,
                                const char *remote_host)
{
    if (name_listed(user, &config->exempt_users))
        return EXEMPT_USER;
    if (config->exempt_groups.count > 0 && policy_user_in_groups(user, &config->exempt_groups))
        return EXEMPT_GROUP;
    if (config->required_groups.count > 0 && !policy_user_in_groups(user, &config->required_groups))
        return NOT_IN_REQUIRED_GROUP;
    if (policy_address_in(config, remote_host))
        return TRUSTED_NETWORK;
    return NOT_EXEMPT;
}

bool policy_phone_allowed(const struct phonemfa_config *config, const struct phone_number *number)
{
    if (config->country_count == 0)
        return true;
    unsigned code = 0;
    for (unsigned i = 1; i <= number->country_code_digits; i++)
        code = code * 10 + (unsigned)(number->e164[i] - '0');
    for (size_t i = 0; i < config->country_count; i++)
        if (config->countries[i] == code)
            return true;
    return false;
}

bool policy_uses_state(const struct phonemfa_config *config)
{
    return config->lockout_failures > 0 || config->sends_per_user > 0 ||
           config->remember_mode != REMEMBER_OFF;
}

bool policy_locked_out(const struct user_state *state, time_t now, time_t *until)
{
    *until = state->locked_until > now ? state->locked_until : 0;
    return *until != 0;
}

struct send_context {
    const struct phonemfa_config *config;
    time_t now;
    bool allowed;
};

static int reserve_send(struct user_state *state, void *context)
{
    struct send_context *send = context;

    user_state_prune(state->sends, &state->send_count, send->now, send->config->sends_window_s);
    send->allowed = state->send_count < send->config->sends_per_user && state->send_count < STATE_MAX_EVENTS;
    if (!send->allowed)
        return 0;
    state->sends[state->send_count++] = send->now;
    return 0;
}

int policy_reserve_send(const struct phonemfa_config *config, const struct record_dir *state_dir,
                        const char *user, time_t now, bool *allowed, struct record_dir_error *error)
{
    struct send_context context = {.config = config, .now = now, .allowed = false};

    *allowed = false;
    if (config->sends_per_user == 0) {
        *allowed = true;
        return 0;
    }
    int result = user_state_update(state_dir, user, reserve_send, &context, error);
    *allowed = result == 0 && context.allowed;
    return result;
}

struct failure_context {
    const struct phonemfa_config *config;
    time_t now;
    bool locked;
};

static int record_failure(struct user_state *state, void *context)
{
    struct failure_context *failure = context;
    const struct phonemfa_config *config = failure->config;

    user_state_prune(state->failures, &state->failure_count, failure->now, config->lockout_window_s);
    if (state->failure_count >= STATE_MAX_EVENTS) {
        memmove(state->failures, state->failures + 1, (STATE_MAX_EVENTS - 1) * sizeof state->failures[0]);
        state->failure_count--;
    }
    state->failures[state->failure_count++] = failure->now;
    if (state->failure_count >= config->lockout_failures) {
        state->locked_until = failure->now + config->lockout_duration_s;
        state->failure_count = 0; /* the lockout starts a new count */
        failure->locked = true;
    }
    return 0;
}

int policy_record_failure(const struct phonemfa_config *config, const struct record_dir *state_dir,
                          const char *user, time_t now, bool *locked, struct record_dir_error *error)
{
    struct failure_context context = {.config = config, .now = now, .locked = false};

    *locked = false;
    if (config->lockout_failures == 0)
        return 0;
    int result = user_state_update(state_dir, user, record_failure, &context, error);
    *locked = context.locked;
    return result;
}

static int clear_failures(struct user_state *state, void *context)
{
    (void)context;
    if (state->failure_count == 0)
        return 1;
    state->failure_count = 0;
    return 0;
}

int policy_record_success(const struct record_dir *state_dir, const char *user,
                          struct record_dir_error *error)
{
    return user_state_update(state_dir, user, clear_failures, NULL, error);
}

static bool append_part(char *out, size_t out_size, const char *name, const char *value)
{
    size_t used = strlen(out);

    if (value == NULL || value[0] == '\0')
        return false;
    int n = snprintf(out + used, out_size - used, "%s%s=", used ? ";" : "", name);
    if (n < 0 || (size_t)n >= out_size - used)
        return false;
    used += (size_t)n;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (used + 1 >= out_size)
            return false;
        out[used++] = (*p > 0x20 && *p < 0x7f && *p != ';') ? (char)*p : '?';
    }
    out[used] = '\0';
    return true;
}

bool policy_remember_key(const struct phonemfa_config *config, const char *remote_host,
                         const char *service, const char *tty, char *out, size_t out_size)
{
    out[0] = '\0';
    bool complete = (!(config->remember_parts & REMEMBER_RHOST) || append_part(out, out_size, "rhost", remote_host)) &&
                    (!(config->remember_parts & REMEMBER_SERVICE) || append_part(out, out_size, "service", service)) &&
                    (!(config->remember_parts & REMEMBER_TTY) || append_part(out, out_size, "tty", tty));
    if (!complete)
        out[0] = '\0'; /* a partial key would match more logins than configured */
    return out[0] != '\0';
}

void policy_phones_fingerprint(const struct phone_record *record, char *out, size_t out_size)
{
    size_t used = 0;

    out[0] = '\0';
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        const struct phone_entry *entry = &record->phones[slot];
        if (!entry->present)
            continue;
        int n = snprintf(out + used, out_size - used, "%s%c%s%s%s", used ? ";" : "",
                         phone_slot_name((enum phone_slot)slot)[0], entry->number.e164,
                         entry->number.extension[0] ? "x" : "", entry->number.extension);
        if (n < 0 || (size_t)n >= out_size - used)
            return;
        used += (size_t)n;
    }
}

bool policy_remembers(const struct user_state *state, const char *key, const char *phones, time_t now)
{
    for (size_t i = 0; i < state->remembered_count; i++) {
        const struct remembered_login *login = &state->remembered[i];
        if (login->until > now && strcmp(login->key, key) == 0 && strcmp(login->phones, phones) == 0)
            return true;
    }
    return false;
}

struct remember_context {
    const char *key;
    const char *phones;
    time_t until;
    time_t now;
};

static int remember(struct user_state *state, void *context)
{
    struct remember_context *r = context;
    size_t kept = 0;

    for (size_t i = 0; i < state->remembered_count; i++) {
        struct remembered_login *login = &state->remembered[i];
        if (login->until > r->now && strcmp(login->key, r->key) != 0)
            state->remembered[kept++] = *login;
    }
    if (kept == STATE_MAX_REMEMBERED) { /* the oldest goes */
        memmove(state->remembered, state->remembered + 1, (kept - 1) * sizeof state->remembered[0]);
        kept--;
    }
    struct remembered_login *login = &state->remembered[kept++];
    (void)snprintf(login->key, sizeof login->key, "%s", r->key);
    (void)snprintf(login->phones, sizeof login->phones, "%s", r->phones);
    login->until = r->until;
    state->remembered_count = kept;
    return 0;
}

int policy_remember(const struct record_dir *state_dir, const char *user, const char *key,
                    const char *phones, time_t until, struct record_dir_error *error)
{
    struct remember_context context = {.key = key, .phones = phones, .until = until, .now = time(NULL)};

    return user_state_update(state_dir, user, remember, &context, error);
}
