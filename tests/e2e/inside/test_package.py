"""The Debian package (make deb) through its whole life, as an administrator
runs it (docs/admin-guide.md, "Installing the Debian package"): install,
enable with pam-auth-update, log in over sshd, sudo and su with Debian's own
PAM files, upgrade with an edited configuration, remove, purge. After every
step no PAM stack in /etc/pam.d names a module that is not there, and
logins work."""
import glob
import os
import re
import shutil
import stat
import subprocess

import pytest

from clients import Paramiko, Su, Sudo, User
from system import PASSWORD, ROOT

DEBIAN_STACKS = {
    "sudo": "session required pam_limits.so\n@include common-auth\n@include common-account\n"
            "@include common-session-noninteractive\n",
    "su": "auth sufficient pam_rootok.so\n@include common-auth\n@include common-account\n"
          "@include common-session\n",
    "sshd": "@include common-auth\naccount required pam_nologin.so\n@include common-account\n"
            "@include common-session\n",
}
MODULE = "/lib/x86_64-linux-gnu/security/pam_phonemfa.so"


ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive"}


def run(*argv):
    result = subprocess.run(argv, env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def removal_refused(why):
    """apt-get remove fails, saying why, and the package stays."""
    refused = subprocess.run(["apt-get", "remove", "-y", "-q", "libpam-phonemfa"], env=ENV, capture_output=True,
                             text=True)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and why in said, said
    assert os.path.exists(MODULE), "the refused removal removed nothing"


def built_package():
    found = sorted(glob.glob(os.path.join(ROOT, "build", "deb", "libpam-phonemfa_*_*.deb")))
    if not found:
        pytest.fail("no package in build/deb: make deb builds it (make check does)")
    return found[-1]


def next_version(package, work):
    """The same package as version +1: what an upgrade installs."""
    tree = os.path.join(work, "tree")
    run("dpkg-deb", "-R", package, tree)
    control = os.path.join(tree, "DEBIAN", "control")
    text = open(control).read()
    version = re.search(r"^Version: (.*)-(\d+)$", text, re.M)
    text = text.replace(version.group(0), f"Version: {version.group(1)}-{int(version.group(2)) + 1}")
    open(control, "w").write(text)
    upgraded = os.path.join(work, "upgraded.deb")
    run("dpkg-deb", "--root-owner-group", "-b", tree, upgraded)
    return upgraded


def stacks_naming_a_missing_module():
    """Stacks in /etc/pam.d that name pam_phonemfa.so while it is not
    installed: with one, nobody logs in through them ("Module is unknown")."""
    if os.path.exists(MODULE):
        return []
    return [path for path in sorted(glob.glob("/etc/pam.d/*"))
            if any("pam_phonemfa" in line.split("#")[0] for line in open(path))]


def logins(system, phone):
    """sudo, su and sshd as alice: with the phone after the password when
    the profile is on, with the password alone when it is not."""
    for client in (Sudo(), Su(), Paramiko()):
        system.network.reset()
        user = User(system, PASSWORD["alice"], choices=["1"])
        assert client.login(system, "alice", user), f"{client.name}: {user.screen()}"
        menus = sum("Choose 1-" in prompt for prompt in user.seen)
        assert menus == (1 if phone else 0), f"{client.name}: {user.screen()}"
        assert len(system.network.ops("start")) == (1 if phone else 0), client.name


@pytest.fixture
def debian_host(system, tmp_path):
    """The sandbox as a Debian host before the package: Debian's own stacks
    for sudo, su and sshd, no module, no configuration, no daemon."""
    saved = tmp_path / "saved"
    saved.mkdir()
    # The suite's own stacks name the module directly: aside while the
    # package is tried, back afterwards.
    ours = [os.path.basename(path) for path in glob.glob("/etc/pam.d/*")
            if "pam_phonemfa" in open(path).read()]
    common = {path: open(path).read() for path in glob.glob("/etc/pam.d/common-*")}
    for service in set(ours) | set(DEBIAN_STACKS):
        if os.path.exists(f"/etc/pam.d/{service}"):
            shutil.move(f"/etc/pam.d/{service}", saved / service)
    for service, text in DEBIAN_STACKS.items():
        with open(f"/etc/pam.d/{service}", "w") as f:
            f.write(text)
    shutil.move("/etc/phonemfa", saved / "etc-phonemfa")
    shutil.move("/var/lib/phonemfa", saved / "var-lib-phonemfa")
    system.stop_daemon()
    os.remove(MODULE)
    system.start_sshd("phonemfa.conf")
    system.sshd_mode = "password"
    yield tmp_path
    # Whatever a failed test left: no stack naming the module (the package
    # refuses to go otherwise), then no package.
    system.stop_daemon()
    for path, text in common.items():
        with open(path, "w") as f:
            f.write(text)
    for service, text in DEBIAN_STACKS.items():
        with open(f"/etc/pam.d/{service}", "w") as f:
            f.write(text)
    subprocess.run(["dpkg", "--purge", "libpam-phonemfa"], capture_output=True)
    for path in ("/etc/phonemfa", "/var/lib/phonemfa"):
        shutil.rmtree(path, ignore_errors=True)
    shutil.move(saved / "etc-phonemfa", "/etc/phonemfa")
    shutil.move(saved / "var-lib-phonemfa", "/var/lib/phonemfa")
    for service in set(ours) | set(DEBIAN_STACKS):
        if os.path.exists(saved / service):
            shutil.move(saved / service, f"/etc/pam.d/{service}")
    system._install_module()
    system.start_daemon()


def test_install_enable_upgrade_remove_purge(system, debian_host):
    package = built_package()
    common_auth = open("/etc/pam.d/common-auth").read()

    run("apt-get", "install", "-y", "-q", package)
    assert open("/etc/pam.d/common-auth").read() == common_auth, "installing changed a PAM stack"
    for path in ("/etc/phonemfa", "/etc/phonemfa/pam.d", "/var/lib/phonemfa", "/var/lib/phonemfa/state"):
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == 0, path
    assert os.path.islink("/etc/systemd/system/sockets.target.wants/phonemfad.socket"), \
        "the socket is enabled at boot"
    assert not os.path.exists("/etc/systemd/system/multi-user.target.wants/phonemfad.service"), \
        "the daemon starts through its socket, not at boot"
    assert "/usr/sbin/phonemfad" in open("/lib/systemd/system/phonemfad.service").read()
    for ll in ("ja", "de"):
        catalogue = f"/usr/share/locale/{ll}/LC_MESSAGES/pam_phonemfa.mo"
        assert stat.S_IMODE(os.stat(catalogue).st_mode) == 0o644, catalogue
    # Built knowing where the package puts the catalogues (not make's /usr/local).
    with open("/usr/sbin/phonemfad", "rb") as f:
        assert b"/usr/share/locale\0" in f.read()
    assert stacks_naming_a_missing_module() == []
    logins(system, phone=False)

    # The administrator's configuration (the service, its token) and the first phones.
    system._configure()
    system.enroll("alice")
    system.start_daemon("/usr/sbin/phonemfad")
    run("pam-auth-update", "--enable", "phonemfa")
    assert "pam_phonemfa.so" in open("/etc/pam.d/common-auth").read()
    logins(system, phone=True)
    edited = open("/etc/phonemfa/phonemfa.conf").read()

    run("apt-get", "install", "-y", "-q", next_version(package, debian_host))
    assert open("/etc/phonemfa/phonemfa.conf").read() == edited, "the upgrade replaced an edited conffile"
    assert sum("pam_phonemfa.so" in line for line in open("/etc/pam.d/common-auth")) == 1
    system.stop_daemon()
    system.start_daemon("/usr/sbin/phonemfad")
    logins(system, phone=True)

    # Removing while a stack still names the module would lock everyone out
    # of it: refused, whether the stack was written by hand or common-auth
    # has local changes pam-auth-update will not touch.
    with open("/etc/pam.d/sudo", "a") as f:
        f.write("auth required pam_phonemfa.so\n")
    removal_refused("not removed: these PAM stacks name pam_phonemfa.so: /etc/pam.d/sudo")
    assert "pam_phonemfa.so" in open("/etc/pam.d/common-auth").read()
    with open("/etc/pam.d/sudo", "w") as f:
        f.write(DEBIAN_STACKS["sudo"])
    # A line of the administrator's own in common-auth, after
    # pam-auth-update's block: pam-auth-update keeps it, so it would still
    # name the module after the removal.
    pristine = open("/etc/pam.d/common-auth").read()
    with open("/etc/pam.d/common-auth", "a") as f:
        f.write("auth optional pam_phonemfa.so\n")
    removal_refused("not removed: pam-auth-update left pam_phonemfa.so in /etc/pam.d/common-auth")
    with open("/etc/pam.d/common-auth", "w") as f:
        f.write(pristine)
    run("pam-auth-update", "--package")
    assert open("/etc/pam.d/common-auth").read() == pristine, "and the profile stayed enabled"
    logins(system, phone=True)

    system.stop_daemon()
    run("apt-get", "remove", "-y", "-q", "libpam-phonemfa")
    assert not os.path.exists(MODULE)
    assert stacks_naming_a_missing_module() == []
    assert "pam_phonemfa" not in open("/etc/pam.d/common-auth").read()
    logins(system, phone=False)
    assert os.path.exists("/var/lib/phonemfa/alice.json"), "remove keeps the phones"

    run("apt-get", "purge", "-y", "-q", "libpam-phonemfa")
    assert not os.path.exists("/var/lib/phonemfa"), "purge forgets the phones and state"
    left = sorted(os.listdir("/etc/phonemfa"))
    assert left == ["ca.pem"], f"purge removes the configuration and the token, not the CA the admin put: {left}"
    assert stacks_naming_a_missing_module() == []
    logins(system, phone=False)


def make(*targets):
    return subprocess.run(["make", "--no-print-directory", "-o", "all", "-C", ROOT, *targets],
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, capture_output=True, text=True)


# The translations make install puts under the default PREFIX (/usr/local).
CATALOGUES = [f"/usr/local/share/locale/{ll}/LC_MESSAGES/pam_phonemfa.mo" for ll in ("ja", "de")]


def test_make_install_and_uninstall_never_lock_anyone_out(system, debian_host):
    """make install (README's way without the package): the profile goes
    where pam-auth-update finds it, an edited phonemfa-setup stack is kept,
    and make uninstall refuses while a stack still names the module."""
    installed = make("install")
    assert installed.returncode == 0, installed.stderr
    assert os.path.exists("/usr/share/pam-configs/phonemfa")
    for catalogue in CATALOGUES:
        assert stat.S_IMODE(os.stat(catalogue).st_mode) == 0o644, catalogue
    for path in ("/etc/phonemfa", "/var/lib/phonemfa", "/var/lib/phonemfa/state"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700, path
    with open("/etc/phonemfa/pam.d/phonemfa-setup", "a") as f:
        f.write("# the administrator's own line\n")
    again = make("install")
    assert again.returncode == 0, again.stderr
    assert "# the administrator's own line" in open("/etc/phonemfa/pam.d/phonemfa-setup").read()
    assert "kept your edited /etc/phonemfa/pam.d/phonemfa-setup" in again.stdout

    run("pam-auth-update", "--enable", "phonemfa")
    refused = make("uninstall")
    assert refused.returncode != 0
    assert "these PAM stacks still name pam_phonemfa.so: /etc/pam.d/common-auth" in refused.stderr
    assert "pam-auth-update --disable phonemfa" in refused.stderr
    assert os.path.exists("/usr/lib/x86_64-linux-gnu/security/pam_phonemfa.so"), "nothing removed"

    run("pam-auth-update", "--disable", "phonemfa")
    removed = make("uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not os.path.exists("/usr/lib/x86_64-linux-gnu/security/pam_phonemfa.so")
    assert not os.path.exists("/usr/share/pam-configs/phonemfa")
    assert [c for c in CATALOGUES if os.path.exists(c)] == []
    assert "kept your edited /etc/phonemfa/pam.d/phonemfa-setup" in removed.stdout
    assert stacks_naming_a_missing_module() == []
    logins(system, phone=False)
