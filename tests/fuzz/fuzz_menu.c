/* Answers to the login menu. Oracle: an accepted answer names an item of
 * the menu, and only digits (ASCII or full-width) or nothing, for the
 * default, are accepted. */
#include "fuzz_helpers.h"

#include "input_digits.h"
#include "menu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct phone_record record;
    struct menu menu;
    size_t index = 99;

    memset(&record, 0, sizeof record);
    unsigned shape = size > 0 ? data[0] : 0;
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        if (!(shape & (1u << slot)) && slot != SLOT_PRIMARY)
            continue;
        struct phone_entry *entry = &record.phones[slot];
        if (phone_from_e164(slot == SLOT_OFFICE ? "+15555550123" : "+447700900123", NULL, &entry->number) != PHONE_OK)
            abort();
        entry->present = true;
        entry->channels = slot == SLOT_OFFICE ? CHANNEL_CALL : (shape & 8) ? CHANNEL_CALL : CHANNEL_TEXT | CHANNEL_CALL;
    }
    menu_build(&record, &menu);
    char *answer = fuzz_string(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0);
    if (menu_parse_choice(&menu, answer, &index)) {
        /* Digits, ASCII or full-width (folded as the parser folds them). */
        char *folded = strdup(answer);
        if (folded == NULL)
            abort();
        (void)input_digits_fold(folded);
        FUZZ_ASSERT(index < menu.count);
        FUZZ_ASSERT(strspn(folded, " \t0123456789") == strlen(folded));
        free(folded);
    }
    char prompt[2048];
    if (menu_render(NULL, &menu, &record, answer, "Verify your identity:", NULL, prompt, sizeof prompt) == 0)
        FUZZ_ASSERT(strstr(prompt, "Choose 1-") != NULL);
    free(answer);
    return 0;
}
