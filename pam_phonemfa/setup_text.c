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

bool setup_answer_is_yes(const struct i18n_catalogue *catalogue, const char *answer)
{
    /* TRANSLATORS: the word a user types to answer yes to a [y/N] question
     * (y and yes are always accepted too). One word, as typed. */
    const char *word = T_(catalogue, "yes");

    /* Any case of the English words; the translated word as translated,
     * or in any case where it is ASCII. */
    return strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0 ||
           (answer[0] != '\0' && strcasecmp(answer, word) == 0);
}
