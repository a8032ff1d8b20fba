#include "login_wire.h"

#include <string.h>

#include "config.h"

const char *login_wire_read(const struct wire_message *request, struct login_fields *fields)
{
    *fields = (struct login_fields){.unenrolled = -1};
    for (size_t i = 0; i < request->count; i++) {
        const struct wire_field *field = &request->fields[i];
        const char **slot = NULL;
        if (field->length > LOGIN_ITEM_MAX)
            return "a field is too long";
        switch (field->tag) {
        case WIRE_F_VERSION: slot = &fields->version; break;
        case WIRE_F_USER: slot = &fields->user; break;
        case WIRE_F_SERVICE: slot = &fields->service; break;
        case WIRE_F_RHOST: slot = &fields->rhost; break;
        case WIRE_F_TTY: slot = &fields->tty; break;
        case WIRE_F_RUSER: slot = &fields->ruser; break;
        case WIRE_F_LANG: slot = &fields->lang; break;
        case WIRE_F_OPTION:
            if (strcmp(field->value, "unenrolled=ignore") == 0)
                fields->unenrolled = UNENROLLED_IGNORE;
            else if (strcmp(field->value, "unenrolled=deny") == 0)
                fields->unenrolled = UNENROLLED_DENY;
            else
                return "an unknown option";
            continue;
        default:
            return "an unknown field";
        }
        if (*slot != NULL)
            return "a field given twice";
        *slot = field->value;
    }
    if (fields->version == NULL || strcmp(fields->version, WIRE_VERSION) != 0)
        return "another protocol version (module and daemon from different releases?)";
    if (fields->user == NULL)
        return "no user";
    return NULL;
}

