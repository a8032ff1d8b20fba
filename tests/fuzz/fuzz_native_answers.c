/* Every answer of the project's own protocol, with any status and content
 * type. Oracles: a failure's detail is printable and shows no phone number
 * in full; an accepted verification id is one the protocol allows. */
#include "fuzz_helpers.h"

#include "native_protocol.h"

static const long statuses[] = {200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 503, 302};
static const char *const content_types[] = {"application/json", "application/json; charset=utf-8",
                                            "text/html", "", "application/problem+json"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    long status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    const char *content_type = content_types[data[1] % (sizeof content_types / sizeof content_types[0])];
    const char *body = (const char *)data + 2;
    size_t length = size - 2;
    struct verify_failure failure;
    struct verification verification;
    enum verify_check_result result;
    enum verify_call_status call_status;

    memset(&failure, 0, sizeof failure);
    if (native_parse_start(status, content_type, body, length, &verification, &failure) == 0)
        FUZZ_ASSERT(native_id_is_valid(verification.id));
    else
        fuzz_assert_printable(failure.detail);
    memset(&failure, 0, sizeof failure);
    if (native_parse_check(status, content_type, body, length, &result, &failure) != 0)
        fuzz_assert_printable(failure.detail);
    memset(&failure, 0, sizeof failure);
    if (native_parse_status(status, content_type, body, length, &call_status, &failure) != 0)
        fuzz_assert_printable(failure.detail);
    memset(&failure, 0, sizeof failure);
    if (native_parse_service_status(status, content_type, body, length, &failure) != 0)
        fuzz_assert_printable(failure.detail);
    memset(&failure, 0, sizeof failure);
    native_parse_error(status, content_type, body, length, &failure);
    fuzz_assert_printable(failure.detail);
    return 0;
}
