/* The per-user state file. Oracle: what is accepted round-trips exactly. */
#include "fuzz_helpers.h"

#include "user_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct user_state state, again; /* large: off the stack */
    char error[128];

    if (user_state_parse((const char *)data, size, &state, error, sizeof error) != 0) {
        fuzz_assert_printable(error);
        return 0;
    }
    char *text = user_state_serialize(&state);
    FUZZ_ASSERT(text != NULL);
    FUZZ_ASSERT(user_state_parse(text, strlen(text), &again, error, sizeof error) == 0);
    FUZZ_ASSERT(memcmp(&state, &again, sizeof state) == 0);
    free(text);
    return 0;
}
