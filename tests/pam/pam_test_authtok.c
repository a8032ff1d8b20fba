/* Test-only PAM module: sets PAM_AUTHTOK the way an earlier module (or sshd)
 * would, since applications may not set it. Arguments:
 *   sshd-incorrect   the marker sshd passes after a wrong password
 *   TEXT             any other word is used as the token itself */
#include <security/pam_modules.h>
#include <string.h>

#define ENTRY_POINT PAM_EXTERN __attribute__((visibility("default")))

ENTRY_POINT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    if (argc != 1)
        return PAM_SERVICE_ERR;
    const char *token = strcmp(argv[0], "sshd-incorrect") == 0 ? "\b\n\r\177INCORRECT" : argv[0];
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
