"""sudo passes PAM_SILENT on every authentication. The module shows its
closing reasons anyway (otherwise a sudo user reads only sudo's own
"Sorry, try again."), unless the stack asks for honour_silent."""
from clients import Sudo, User
from system import PASSWORD

NOT_ENROLLED = "No phone is registered for your account. Contact your administrator."

SUDO_HONOURING_SILENT = """session    required   pam_limits.so
@include common-auth
auth       required   pam_phonemfa.so honour_silent
@include common-account
@include common-session-noninteractive
"""


def sudo_as_bob(system):
    mark = system.syslog.mark()
    user = User(system, PASSWORD["bob"])
    ok = Sudo().login(system, "bob", user)
    return ok, user, system.syslog.outcomes(mark, "sudo", "bob")


def test_sudo_shows_the_closing_reason(system):
    system.network.reset()
    system.configure()
    ok, user, lines = sudo_as_bob(system)
    assert not ok
    assert NOT_ENROLLED in user.screen()
    assert len(lines) == 1 and "outcome=denied reason=not_enrolled" in lines[0]


def test_sudo_with_honour_silent_holds_it_back(system):
    system.network.reset()
    system.configure()
    with open("/etc/pam.d/sudo", "w") as f:
        f.write(SUDO_HONOURING_SILENT)
    try:
        ok, user, lines = sudo_as_bob(system)
        assert not ok
        assert NOT_ENROLLED not in user.screen()
        assert len(lines) == 1 and "outcome=denied reason=not_enrolled" in lines[0]
    finally:
        system.install_pam("sudo")
