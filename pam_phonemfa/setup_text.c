#include "setup_text.h"

#include <strings.h>

const char *setup_slot_label(const struct i18n_catalogue *catalogue, enum phone_slot slot)
{
    if (slot == SLOT_PRIMARY)
        /* TRANSLATORS: the name of a phone inside a sentence ("Remove the
         * primary phone +X XXXXXXXX23 of alice?"); primary is the user's
         * main phone. */
        return T_(catalogue, "primary phone");
    if (slot == SLOT_ALTERNATE)
        /* TRANSLATORS: the name of a phone inside a sentence: the user's
         * second phone. */
        return T_(catalogue, "alternate phone");
    /* TRANSLATORS: the name of a phone inside a sentence: the desk phone at
     * work (calls only, possibly with an extension). */
    return T_(catalogue, "office phone");
}

const char *setup_preferred_line(const struct i18n_catalogue *catalogue, enum phone_slot slot,
                                 enum phone_channel channel)
{
    bool text = channel == CHANNEL_TEXT;

    if (slot == SLOT_PRIMARY)
        /* TRANSLATORS: a line of a user's phones: what Enter picks at
         * login, the phone (primary, alternate, office) and how (text or
         * call). Keep the indentation. */
        return text ? T_(catalogue, "  preferred: primary, text\n")
                    /* TRANSLATORS: as "  preferred: primary, text". */
                    : T_(catalogue, "  preferred: primary, call\n");
    if (slot == SLOT_ALTERNATE)
        /* TRANSLATORS: as "  preferred: primary, text". */
        return text ? T_(catalogue, "  preferred: alternate, text\n")
                    /* TRANSLATORS: as "  preferred: primary, text". */
                    : T_(catalogue, "  preferred: alternate, call\n");
    /* TRANSLATORS: as "  preferred: primary, text". */
    return text ? T_(catalogue, "  preferred: office, text\n")
                /* TRANSLATORS: as "  preferred: primary, text". */
                : T_(catalogue, "  preferred: office, call\n");
}
