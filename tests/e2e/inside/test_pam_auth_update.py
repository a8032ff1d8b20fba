"""conf/pam-configs/phonemfa: `pam-auth-update --enable phonemfa` puts the
module into Debian's common-auth, so every service that includes it (here
sudo with Debian's own /etc/pam.d/sudo) asks for the phone once, after the
password; --disable takes it out again."""
import os
import shutil
import subprocess

from clients import Sudo, User
from system import CONF, PASSWORD

DEBIAN_SUDO = """session    required   pam_limits.so
@include common-auth
@include common-account
@include common-session-noninteractive
"""


def pam_auth_update(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["pam-auth-update", *args], check=True, env=env, capture_output=True)


def test_enable_and_disable_the_common_stack_profile(system):
    shutil.copyfile(os.path.join(CONF, "pam-configs", "phonemfa"), "/usr/share/pam-configs/phonemfa")
    with open("/etc/pam.d/sudo", "w") as f:
        f.write(DEBIAN_SUDO)
    system.network.reset()
    system.configure()
    try:
        pam_auth_update("--enable", "phonemfa")
        common_auth = open("/etc/pam.d/common-auth").read()
        lines = [line for line in common_auth.splitlines() if "pam_phonemfa.so" in line]
        assert [line.split() for line in lines] == [["auth", "required", "pam_phonemfa.so"]], common_auth
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
