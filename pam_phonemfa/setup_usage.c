#include "setup_usage.h"

const char *setup_usage_text(const struct i18n_catalogue *catalogue)
{
    /* TRANSLATORS: the usage of phonemfa-setup. Everything in capitals
     * (NAME, COMMAND, SLOT, NUMBER, TAG) is a placeholder and may be
     * translated; the commands, options and words such as text, call,
     * primary and default are typed as they are: keep them. Keep the
     * explanations in one column if you can. */
    return T_(catalogue,
              "usage: phonemfa-setup                 change your own phones (interactive)\n"
              "       phonemfa-setup check           phonemfad's configuration, store, state and service\n"
              "       phonemfa-setup users           every enrolled user of the local store, phones masked\n"
              "       phonemfa-setup --user NAME COMMAND\n"
              "       phonemfa-setup --help | --version\n"
              "commands:\n"
              "  list [--json]                         the user's phones, lockout and remembered logins\n"
              "  add SLOT NUMBER (--verify text|call | --no-verify) [--channels text,call]\n"
              "                                        add or replace primary, alternate or office\n"
              "  remove SLOT [--yes]                   remove a phone (asks first on a terminal)\n"
              "  preferred SLOT text|call              what Enter picks at login\n"
              "  language TAG|default                  the user's language (ja, de, ...) or login.locale\n"
              "  reset                                 remove all phones and state\n"
              "  lockout [--clear]                     show or lift a lockout\n"
              "  forget                                forget remembered logins\n"
              "Every option that takes a value may be given as --option VALUE or --option=VALUE.\n");
}
