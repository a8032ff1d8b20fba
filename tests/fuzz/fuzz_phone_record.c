/* A user's phone record as stored. Oracle: what is accepted obeys the
 * record rules and survives a write and a read unchanged. */
#include "fuzz_helpers.h"

#include "phone_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct phone_record record, again;
    struct phone_record_error error;

    if (phone_record_parse((const char *)data, size, &record, &error) != 0)
        return 0;
    FUZZ_ASSERT(phone_record_check(&record, &error) == 0);
    char *text = phone_record_serialize(&record, &error);
    FUZZ_ASSERT(text != NULL);
    FUZZ_ASSERT(phone_record_parse(text, strlen(text), &again, &error) == 0);
    char *text_again = phone_record_serialize(&again, &error);
    FUZZ_ASSERT(text_again != NULL && strcmp(text, text_again) == 0);
    free(text);
    free(text_again);
    return 0;
}
