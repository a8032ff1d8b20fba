#include "json_answer.h"

#include <string.h>
#include <strings.h>

#include "verify_provider.h"

bool json_answer_content_type_ok(const char *content_type)
{
    static const char json_type[] = "application/json";
    const size_t length = sizeof json_type - 1;

    if (strncasecmp(content_type, json_type, length) != 0)
        return false;
    char next = content_type[length]; /* read only once the prefix is known to be there */
    return next == '\0' || next == ';' || next == ' ';
}

json_t *json_answer_object(const char *who, const char *content_type, const char *body,
                           size_t length, struct verify_failure *failure)
{
    json_error_t error;

    if (!json_answer_content_type_ok(content_type)) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "%s answer is not JSON (Content-Type '%.60s')", who,
                    content_type);
        return NULL;
    }
    json_t *root = json_loadb(body, length, JSON_REJECT_DUPLICATES, &error);
    if (root == NULL) {
        verify_fail(failure, VERIFY_BAD_RESPONSE, "malformed JSON in %s answer: %.100s", who, error.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        verify_fail(failure, VERIFY_BAD_RESPONSE, "%s answer is not a JSON object", who);
        return NULL;
    }
    return root;
}
