/* Test-only PAM module: sets PAM_AUTHTOK the way an earlier module (or sshd)
 * would, since applications may not set it. Arguments:
 *   sshd-incorrect   the marker sshd passes after a wrong password
 *   sshd-incorrect:N that marker repeated to N characters, as sshd does for
 *                    a password of that length
 *   TEXT             any other word is used as the token itself */
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_POINT PAM_EXTERN __attribute__((visibility("default")))

ENTRY_POINT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    if (argc != 1)
        return PAM_SERVICE_ERR;
    static const char junk[] = "\b\n\r\177INCORRECT";
    if (strncmp(argv[0], "sshd-incorrect:", 15) == 0) {
        char token[256];
        size_t length = (size_t)atoi(argv[0] + 15);
        if (length == 0 || length >= sizeof token)
            return PAM_SERVICE_ERR;
        for (size_t i = 0; i < length; i++)
            token[i] = junk[i % (sizeof junk - 1)];
        token[length] = '\0';
        return pam_set_item(pamh, PAM_AUTHTOK, token);
    }
    const char *token = strcmp(argv[0], "sshd-incorrect") == 0 ? junk : argv[0];
    return pam_set_item(pamh, PAM_AUTHTOK, token);
}

ENTRY_POINT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
