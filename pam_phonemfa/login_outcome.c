#include "login_outcome.h"

#include <stdio.h>
#include <string.h>

#include "user_name.h"

static const struct {
    enum login_outcome outcome;
    const char *logged; /* outcome= in the log line */
    const char *wire;   /* what phonemfad tells the module */
} OUTCOMES[] = {
    {LOGIN_APPROVED, "success", "approved"},
    {LOGIN_DENIED, "denied", "denied"},
    {LOGIN_IGNORED, "ignored", "ignored"},
    {LOGIN_CONVERSATION_ERROR, "denied", "conversation_error"},
    {LOGIN_SERVICE_UNAVAILABLE, "denied", "service_unavailable"},
    {LOGIN_INTERNAL_ERROR, "error", "internal_error"},
    {LOGIN_USER_UNKNOWN, "denied", "user_unknown"},
    {LOGIN_ABANDONED, "abandoned", "abandoned"},
};

#define OUTCOME_COUNT (sizeof OUTCOMES / sizeof OUTCOMES[0])

static const char *outcome_name(enum login_outcome outcome)
{
    for (size_t i = 0; i < OUTCOME_COUNT; i++)
        if (OUTCOMES[i].outcome == outcome)
            return OUTCOMES[i].logged;
    return "error";
}

const char *login_outcome_wire_name(enum login_outcome outcome)
{
    for (size_t i = 0; i < OUTCOME_COUNT; i++)
        if (OUTCOMES[i].outcome == outcome)
            return OUTCOMES[i].wire;
    return "internal_error";
}

int login_outcome_from_wire(const char *name, enum login_outcome *outcome)
{
    for (size_t i = 0; name != NULL && i < OUTCOME_COUNT; i++)
        if (strcmp(OUTCOMES[i].wire, name) == 0) {
            *outcome = OUTCOMES[i].outcome;
            return 0;
        }
    return -1;
}

void login_log_outcome(const struct log_sink *log, const struct login_request *request,
                       enum login_outcome outcome, const char *reason, const char *masked_phone,
                       const char *channel)
{
    char user[USER_NAME_MAX + 1], service[64], host[128], tty[64];
    int priority = outcome == LOGIN_APPROVED            ? LOG_INFO
                   : outcome == LOGIN_INTERNAL_ERROR     ? LOG_ERR
                   : outcome == LOGIN_SERVICE_UNAVAILABLE ? LOG_ERR
                                                         : LOG_NOTICE;

    log_clean_value(user, sizeof user, request->user);
    log_clean_value(service, sizeof service, request->service);
    log_clean_value(host, sizeof host, request->remote_host);
    log_clean_value(tty, sizeof tty, request->tty);
    char target[USER_NAME_MAX + 16] = "";
    if (request->target != NULL) {
        char clean[USER_NAME_MAX + 1];
        log_clean_value(clean, sizeof clean, request->target);
        (void)snprintf(target, sizeof target, " target=%s", clean);
    }
    log_message(log, priority,
                "outcome=%s reason=%s user=%s%s service=%s rhost=%s tty=%s phone=\"%s\" channel=%s",
                outcome_name(outcome), reason, user, target, service, host, tty,
                masked_phone && masked_phone[0] ? masked_phone : "-", channel ? channel : "-");
}

