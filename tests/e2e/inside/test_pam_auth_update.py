"""conf/pam-configs/phonemfa: `pam-auth-update --enable phonemfa` puts the
module into Debian's common-auth, so every service that includes it (here
sudo with Debian's own /etc/pam.d/sudo) asks for the phone once, after the
password; --disable takes it out again. phonemfa-setup, whose own stack
includes common-auth too, still asks once, and a user with no phone can
still register a first one."""
import os
import re
import shutil
import subprocess

from clients import Sudo, User
from system import CONF, PASSWORD, PRIMARY
from test_setup_self import Session, register_first_primary

DEBIAN_SUDO = """session    required   pam_limits.so
@include common-auth
@include common-account
@include common-session-noninteractive
"""


def pam_auth_update(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["pam-auth-update", *args], check=True, env=env, capture_output=True)


def enable_profile():
    shutil.copyfile(os.path.join(CONF, "pam-configs", "phonemfa"), "/usr/share/pam-configs/phonemfa")
    pam_auth_update("--enable", "phonemfa")


def test_enable_and_disable_the_common_stack_profile(system):
    with open("/etc/pam.d/sudo", "w") as f:
        f.write(DEBIAN_SUDO)
    system.network.reset()
    system.configure()
    try:
        enable_profile()
        common_auth = open("/etc/pam.d/common-auth").read()
        lines = [line for line in common_auth.splitlines() if "pam_phonemfa.so" in line]
        assert [line.split() for line in lines] == [["auth", "required", "pam_phonemfa.so"]], common_auth
        skip = common_auth.splitlines().index(lines[0]) - 1
        assert common_auth.splitlines()[skip].split() == \
            ["auth", "[success=1", "default=ignore]", "pam_succeed_if.so", "quiet", "service", "=", "phonemfa-setup"]
        assert common_auth.index("pam_phonemfa.so") > common_auth.index("pam_deny.so"), \
            "the phone comes after the password block"

        mark = system.syslog.mark()
        user = User(system, PASSWORD["alice"], choices=["1"])
        assert Sudo().login(system, "alice", user)
        assert sum("Choose 1-" in p for p in user.seen) == 1, "asked once, not twice"
        assert len(system.syslog.outcomes(mark, "sudo", "alice")) == 1

        wrong = User(system, "not-the-password")
        system.network.reset()
        assert not Sudo().login(system, "alice", wrong)
        assert not system.network.ops(), "a wrong password stops before the phone"

        pam_auth_update("--disable", "phonemfa")
        assert "pam_phonemfa.so" not in open("/etc/pam.d/common-auth").read()
    finally:
        system.install_pam("sudo")


def test_phonemfa_setup_asks_once_with_the_profile_enabled(fresh):
    enable_profile()
    try:
        fresh.network.reset()
        session = Session(fresh)
        session.expect(r"Password: ")
        session.send(PASSWORD["alice"])
        menu = session.expect(r"Choose 1-\d+ \[\d+\]: ")
        session.send("1")
        session.expect(r"go back\): ")
        session.send(fresh.network.last_code(PRIMARY))
        after = session.expect(r"Choose: ")
        assert "Verify your identity:" in menu and "Verify your identity:" not in after, after
        session.send(re.search(r"(\d)\) Quit", after).group(1))
        assert session.finish()[0] == 0
        assert len(fresh.network.ops("start")) == 1, "one text, not two"

        register_first_primary(fresh)
    finally:
        pam_auth_update("--disable", "phonemfa")
