#include "policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nss_lookup.h"
#include "user_state.h"

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

/* Membership in one of the configured lists; a failure names the setting. */
static int member_of(const char *user, const struct name_list *groups, const char *setting, bool missing_is_error,
                     bool *member, char *error, size_t error_size)
{
    char reason[NSS_ERROR_MAX];

    if (nss_user_in_groups(user, groups, missing_is_error, member, reason, sizeof reason) == 0)
        return 0;
    (void)snprintf(error, error_size, "%s: %s", setting, reason);
    return -1;
}

int policy_exemption(const struct phonemfa_config *config, const char *user, const char *remote_host,
                     enum exemption *exemption, char *error, size_t error_size)
{
    bool member = false;

    *exemption = NOT_EXEMPT;
    if (name_listed(user, &config->exempt_users)) {
        *exemption = EXEMPT_USER;
        return 0;
    }
    if (member_of(user, &config->exempt_groups, "access.exempt_groups", false, &member, error, error_size) != 0)
        return -1;
    if (member) {
        *exemption = EXEMPT_GROUP;
        return 0;
    }
    /* A required group that cannot be read would exempt everybody. */
    if (config->required_groups.count > 0) {
        if (member_of(user, &config->required_groups, "access.required_groups", true, &member, error,
                      error_size) != 0)
            return -1;
        if (!member) {
            *exemption = NOT_IN_REQUIRED_GROUP;
            return 0;
        }
    }
    if (policy_address_in(config, remote_host))
        *exemption = TRUSTED_NETWORK;
    return 0;
}

bool policy_phone_allowed(const struct phonemfa_config *config, const struct phone_number *number)
{
    if (config->country_count == 0)
        return true;
    unsigned code = phone_country_code(number);
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

/* One change to the user's state under the user's lock: the lockout is
 * checked, then a send and a failure are counted as asked, so parallel
 * logins can never together pass a limit. */
struct reservation {
    const struct phonemfa_config *config;
    time_t now;
    bool send;          /* count a text or call against limits.sends_per_user */
    bool failure;       /* count a failure toward the lockout */
    bool lock_is_ours;  /* a lockout this login's own last failure started does not stop it */
    struct attempt result;
};

static bool add_failure(const struct phonemfa_config *config, struct user_state *state, time_t now)
{
    user_state_prune(state->failures, &state->failure_count, now, config->lockout_window_s);
    if (state->failure_count >= STATE_MAX_EVENTS) {
        memmove(state->failures, state->failures + 1, (STATE_MAX_EVENTS - 1) * sizeof state->failures[0]);
        state->failure_count--;
    }
    state->failures[state->failure_count++] = now;
    if (state->failure_count < config->lockout_failures)
        return false;
    state->locked_until = now + config->lockout_duration_s;
    state->failure_count = 0; /* the lockout starts a new count */
    return true;
}

static int reserve(struct user_state *state, void *context)
{
    struct reservation *r = context;
    const struct phonemfa_config *config = r->config;
    bool changed = false;

    r->result.verdict = ATTEMPT_ALLOWED;
    if (config->lockout_failures > 0 && state->locked_until > r->now && !r->lock_is_ours) {
        r->result.verdict = ATTEMPT_LOCKED_OUT;
        r->result.locked_until = state->locked_until;
        return 1;
    }
    if (r->send && config->sends_per_user > 0) {
        user_state_prune(state->sends, &state->send_count, r->now, config->sends_window_s);
        if (state->send_count >= config->sends_per_user || state->send_count >= STATE_MAX_EVENTS) {
            r->result.verdict = ATTEMPT_SEND_LIMIT;
            return 1;
        }
        state->sends[state->send_count++] = r->now;
        changed = true;
    }
    if (r->failure && config->lockout_failures > 0) {
        r->result.locked_now = add_failure(config, state, r->now);
        r->result.locked_until = state->locked_until;
        changed = true;
    }
    return changed ? 0 : 1;
}

static int reserve_in_state(const struct phonemfa_config *config, const struct record_dir *state_dir,
                            const char *user, struct reservation *reservation, struct attempt *attempt,
                            struct record_dir_error *error)
{
    memset(attempt, 0, sizeof *attempt);
    attempt->verdict = ATTEMPT_ALLOWED;
    if (config->lockout_failures == 0 && !(reservation->send && config->sends_per_user > 0))
        return 0;
    int result = user_state_update(state_dir, user, reserve, reservation, error);
    if (result == 0)
        *attempt = reservation->result;
    return result;
}

int policy_reserve_send(const struct phonemfa_config *config, const struct record_dir *state_dir,
                        const char *user, time_t now, bool counts_failure, struct attempt *attempt,
                        struct record_dir_error *error)
{
    struct reservation reservation = {.config = config, .now = now, .send = true, .failure = counts_failure};

    return reserve_in_state(config, state_dir, user, &reservation, attempt, error);
}

int policy_reserve_code(const struct phonemfa_config *config, const struct record_dir *state_dir,
                        const char *user, time_t now, const struct attempt *paid_by,
                        struct attempt *attempt, struct record_dir_error *error)
{
    struct reservation reservation = {
        .config = config, .now = now,
        .failure = paid_by == NULL,
        .lock_is_ours = paid_by != NULL && paid_by->locked_now,
    };

    return reserve_in_state(config, state_dir, user, &reservation, attempt, error);
}

struct refund {
    time_t at;
};

static void remove_event(time_t *events, size_t *count, time_t at)
{
    for (size_t i = *count; i-- > 0;) {
        if (events[i] == at) {
            memmove(events + i, events + i + 1, (*count - i - 1) * sizeof events[0]);
            (*count)--;
            return;
        }
    }
}

/* Only the send and the failure themselves: a lockout that failure started
 * stays (the count it completed is gone), or an attacker who makes every
 * fifth start fail would wipe the lockout each time. */
static int refund(struct user_state *state, void *context)
{
    struct refund *r = context;

    remove_event(state->sends, &state->send_count, r->at);
    remove_event(state->failures, &state->failure_count, r->at);
    return 0;
}

int policy_refund_send(const struct phonemfa_config *config, const struct record_dir *state_dir,
                       const char *user, time_t reserved_at, struct record_dir_error *error)
{
    struct refund context = {.at = reserved_at};

    if (config->lockout_failures == 0 && config->sends_per_user == 0)
        return 0;
    return user_state_update(state_dir, user, refund, &context, error);
}

static int clear_failures(struct user_state *state, void *context)
{
    (void)context;
    if (state->failure_count == 0 && state->locked_until == 0)
        return 1;
    state->failure_count = 0;
    state->locked_until = 0;
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
                         const char *service, const char *tty, const char *target, char *out,
                         size_t out_size)
{
    out[0] = '\0';
    bool complete = (!(config->remember_parts & REMEMBER_RHOST) || append_part(out, out_size, "rhost", remote_host)) &&
                    (!(config->remember_parts & REMEMBER_SERVICE) || append_part(out, out_size, "service", service)) &&
                    (!(config->remember_parts & REMEMBER_TTY) || append_part(out, out_size, "tty", tty)) &&
                    /* su to another account: remembered for that account only */
                    (target == NULL || append_part(out, out_size, "target", target));
    if (!complete)
        out[0] = '\0'; /* a partial key would match more logins than configured */
    return out[0] != '\0';
}

bool policy_verified_phone(const struct phone_record *record, enum phone_slot slot,
                           enum phone_channel channel, char *out, size_t out_size)
{
    const struct phone_entry *entry = &record->phones[slot];
    int n = snprintf(out, out_size, "%c%s%s%s/%s", phone_slot_name(slot)[0], entry->number.e164,
                     entry->number.extension[0] ? "x" : "", entry->number.extension, phone_channel_name(channel));
    return entry->present && n > 0 && (size_t)n < out_size;
}

bool policy_remembers(const struct phonemfa_config *config, const struct user_state *state,
                      const struct phone_record *record, const char *key, time_t now)
{
    char phone[STATE_KEY_MAX + 1];

    for (size_t i = 0; i < state->remembered_count; i++) {
        const struct remembered_login *login = &state->remembered[i];
        if (login->until <= now || strcmp(login->key, key) != 0)
            continue;
        /* Only while the phone then verified is still registered, and the
         * way it was verified still allowed. */
        for (int slot = 0; slot < SLOT_COUNT; slot++) {
            const struct phone_entry *entry = &record->phones[slot];
            if (!entry->present || !policy_phone_allowed(config, &entry->number))
                continue;
            for (unsigned channel = CHANNEL_TEXT; channel <= CHANNEL_CALL; channel <<= 1) {
                if ((entry->channels & channel & config->allowed_channels) &&
                    policy_verified_phone(record, (enum phone_slot)slot, (enum phone_channel)channel, phone,
                                          sizeof phone) &&
                    strcmp(login->phones, phone) == 0)
                    return true;
            }
        }
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
