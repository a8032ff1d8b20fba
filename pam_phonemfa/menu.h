/* The login menu: one line per phone and channel, in a fixed order
 * (primary, alternate, office; text before call), with masked numbers. */
#ifndef PHONEMFA_MENU_H
#define PHONEMFA_MENU_H

#include <stdbool.h>
#include <stddef.h>

#include "i18n.h"
#include "phone_record.h"

#define MENU_MAX_ITEMS (SLOT_COUNT * 2)
/* Room for a translated label: a CJK character takes 3 bytes. */
#define MENU_LABEL_MAX 320

struct menu_item {
    enum phone_slot slot;
    enum phone_channel channel;
};

struct menu {
    struct menu_item items[MENU_MAX_ITEMS];
    size_t count;
    size_t default_index; /* what Enter picks: the preferred method */
};

void menu_build(const struct phone_record *record, struct menu *menu);

/* "Text +X XXXXXXXX17", "Call +X XXXXXXXX19 (alternate)" (translated). */
void menu_item_label(const struct i18n_catalogue *catalogue, const struct menu_item *item,
                     const struct phone_record *record, char *out, size_t out_size);

/* The whole prompt: notice line (may be NULL), header, items, footer (may be
 * NULL) and "Choose 1-N [d]: ". Returns -1 when it does not fit. */
int menu_render(const struct i18n_catalogue *catalogue, const struct menu *menu, const struct phone_record *record,
                const char *notice, const char *header, const char *footer, char *out, size_t out_size);

/* The longest answer menu_parse_choice reads (PAM's own bound on an
 * answer, PAM_MAX_RESP_SIZE); longer ones are no choice. */
#define MENU_ANSWER_MAX 512

/* Enter alone picks the default; otherwise a number from 1 to count, in
 * ASCII or full-width digits. */
bool menu_parse_choice(const struct menu *menu, const char *answer, size_t *index);

#endif
