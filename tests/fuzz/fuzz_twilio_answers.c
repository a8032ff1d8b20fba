/* Every Twilio Verify answer the module reads. Oracles: details printable;
 * an approval is only ever reported when Twilio's answer says so twice
 * (status approved and valid true). */
#include "fuzz_helpers.h"

#include "twilio_protocol.h"

static const long statuses[] = {200, 201, 400, 401, 404, 429, 500, 503};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    long status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    const char *body = (const char *)data + 1;
    size_t length = size - 1;
    struct twilio_answer answer;
    struct verify_failure failure;
    long code = 0;

    memset(&failure, 0, sizeof failure);
    if (twilio_parse_verification(status, 200, 201, "application/json", body, length, "+15555550117", &answer,
                                  &failure) == 0) {
        FUZZ_ASSERT(twilio_sid_is_valid(answer.sid, "VE"));
        if (answer.status == TWILIO_APPROVED) {
            char *text = fuzz_string(data + 1, length);
            FUZZ_ASSERT(strstr(text, "true") != NULL);
            free(text);
        }
    } else {
        fuzz_assert_printable(failure.detail);
    }
    memset(&failure, 0, sizeof failure);
    if (twilio_parse_service("application/json", body, length, "VA00000000000000000000000000000000", &failure) != 0)
        fuzz_assert_printable(failure.detail);
    memset(&failure, 0, sizeof failure);
    twilio_parse_error(status, "application/json", body, length, &code, &failure);
    fuzz_assert_printable(failure.detail);
    return 0;
}
