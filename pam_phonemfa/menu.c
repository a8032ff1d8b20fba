#include "menu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "input_digits.h"

void menu_build(const struct phone_record *record, struct menu *menu)
{
    static const enum phone_channel channels[] = {CHANNEL_TEXT, CHANNEL_CALL};

    memset(menu, 0, sizeof *menu);
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        const struct phone_entry *entry = &record->phones[slot];
        if (!entry->present)
            continue;
        for (size_t c = 0; c < 2; c++) {
            if (!(entry->channels & channels[c]))
                continue;
            if (record->has_preferred && record->preferred_slot == (enum phone_slot)slot &&
                record->preferred_channel == channels[c])
                menu->default_index = menu->count;
            menu->items[menu->count].slot = (enum phone_slot)slot;
            menu->items[menu->count].channel = channels[c];
            menu->count++;
        }
    }
}

void menu_item_label(const struct i18n_catalogue *catalogue, const struct menu_item *item,
                     const struct phone_record *record, char *out, size_t out_size)
{
    char masked[PHONE_MASK_MAX];

    phone_mask(&record->phones[item->slot].number, masked, sizeof masked);
    /* Literal formats keep the compiler's format checking. */
    if (item->channel == CHANNEL_TEXT && item->slot == SLOT_PRIMARY)
        /* TRANSLATORS: a line of the login menu: send a code by SMS to the
         * primary phone. %s is a masked number such as "+XX XXXXXXX12". */
        (void)snprintf(out, out_size, T_(catalogue, "Text %s"), masked);
    else if (item->channel == CHANNEL_TEXT && item->slot == SLOT_ALTERNATE)
        /* TRANSLATORS: a line of the login menu: an SMS to the alternate phone; %s a masked number. */
        (void)snprintf(out, out_size, T_(catalogue, "Text %s (alternate)"), masked);
    else if (item->channel == CHANNEL_TEXT)
        /* TRANSLATORS: a line of the login menu: an SMS to the office phone; %s a masked number. */
        (void)snprintf(out, out_size, T_(catalogue, "Text %s (office)"), masked);
    else if (item->slot == SLOT_PRIMARY)
        /* TRANSLATORS: a line of the login menu: a call to the primary phone; %s a masked number. */
        (void)snprintf(out, out_size, T_(catalogue, "Call %s"), masked);
    else if (item->slot == SLOT_ALTERNATE)
        /* TRANSLATORS: a line of the login menu: a call to the alternate phone; %s a masked number. */
        (void)snprintf(out, out_size, T_(catalogue, "Call %s (alternate)"), masked);
    else
        /* TRANSLATORS: a line of the login menu: a call to the office phone; %s a masked number. */
        (void)snprintf(out, out_size, T_(catalogue, "Call %s (office)"), masked);
}

static bool append(char *out, size_t out_size, size_t *used, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static bool append(char *out, size_t out_size, size_t *used, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    int n = vsnprintf(out + *used, out_size - *used, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= out_size - *used)
        return false;
    *used += (size_t)n;
    return true;
}

int menu_render(const struct i18n_catalogue *catalogue, const struct menu *menu, const struct phone_record *record,
                const char *notice, const char *header, const char *footer, char *out, size_t out_size)
{
    size_t used = 0;
    char label[MENU_LABEL_MAX];

    if (out_size == 0)
        return -1;
    out[0] = '\0';
    if (notice != NULL && !append(out, out_size, &used, "%s\n", notice))
        return -1;
    if (!append(out, out_size, &used, "%s\n", header))
        return -1;
    for (size_t i = 0; i < menu->count; i++) {
        menu_item_label(catalogue, &menu->items[i], record, label, sizeof label);
        if (!append(out, out_size, &used, "  %zu) %s\n", i + 1, label))
            return -1;
    }
    if (footer != NULL && !append(out, out_size, &used, "%s\n", footer))
        return -1;
    /* TRANSLATORS: the last line of the login menu: the range of choices,
     * and in brackets what Enter picks. Keep the digits as they are. */
    if (!append(out, out_size, &used, T_(catalogue, "Choose 1-%zu [%zu]: "), menu->count, menu->default_index + 1))
        return -1;
    return 0;
}

bool menu_parse_choice(const struct menu *menu, const char *answer, size_t *index)
{
    char folded[MENU_ANSWER_MAX];
    const char *p = folded;
    unsigned long value = 0;

    /* Full-width digits (a Japanese input method) are the digits. A longer
     * answer is no choice (a choice is at most two digits and blanks). */
    if (strnlen(answer, sizeof folded) >= sizeof folded)
        return false;
    memcpy(folded, answer, strlen(answer) + 1);
    (void)input_digits_fold(folded);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0') {
        *index = menu->default_index;
        return menu->count > 0;
    }
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 2)
            return false;
        value = value * 10 + (unsigned long)(*p - '0');
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (digits == 0 || *p != '\0' || value < 1 || value > menu->count)
        return false;
    *index = value - 1;
    return true;
}
