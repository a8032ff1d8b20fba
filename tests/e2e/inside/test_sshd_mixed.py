"""People and automation on one sshd (docs/admin-guide.md, "Mixing people and
automation on one sshd"): members of the group phonemfa give a key and then
the phone, everyone else a key alone, and nobody gets in with a password
alone. The recipe is installed exactly as shipped: conf/sshd_config.d/
phonemfa-mixed.conf, conf/pam.d/phonemfa-sshd-mixed, and the guide's one-line
edit of Debian's own /etc/pam.d/sshd.

Who is who here:
  alice   in phonemfa, phone enrolled        key, then the phone
  bob     in phonemfa, no phone enrolled     refused (unenrolled = "deny")
  carol   not in phonemfa, phone enrolled    key alone: the group decides
  robot   service account, key               key alone, never asked anything
  deploy  service account, password only     refused, never asked anything
"""
import hashlib
import os
import re
import shutil
import subprocess
import time

import paramiko
import pytest

from clients import Paramiko, Ssh, User
from system import CONF, PASSWORD, ROOT, SSH_PORT, run

# The guide's steps, run as written from the source tree. Each must appear
# verbatim in the guide's section (test_the_guide_shows_these_steps).
STEPS = [
    "groupadd phonemfa",
    "usermod -a -G phonemfa alice",
    "install -m 0644 conf/pam.d/phonemfa-sshd-mixed /etc/pam.d/phonemfa-sshd-mixed",
    r"sed -i 's/^@include common-auth$/@include phonemfa-sshd-mixed\n&/' /etc/pam.d/sshd",
    "install -m 0644 conf/sshd_config.d/phonemfa-mixed.conf /etc/ssh/sshd_config.d/phonemfa.conf",
]
SECTION = "### Mixing people and automation on one sshd"
DEPLOY_PASSWORD = "deploy-Pass-5"
SSHD_LOG = "/tmp/sshd.log"

KEY_CLIENTS = [Paramiko(key_then_phone=True), Ssh(key_then_phone=True)]
PASSWORD_CLIENTS = [Paramiko(), Ssh()]
MENU = "Verify your identity:\n  1) Text +X XXXXXXXX17\n  2) Call +X XXXXXXXX17\n  3) Text +X XXXXXXXX19 (alternate)"


def dpkg_conffile_md5(path):
    """The checksum dpkg recorded for a conffile as the package shipped it."""
    listing = run("dpkg-query", "-W", "-f=${Conffiles}\n", "openssh-server").stdout
    for line in listing.splitlines():
        fields = line.split()
        if fields and fields[0] == path:
            return fields[1]
    raise AssertionError(f"dpkg does not list {path} as a conffile of openssh-server")


@pytest.fixture(scope="module")
def mixed(system):
    stock = system.debian_pam_sshd
    assert hashlib.md5(stock.encode()).hexdigest() == dpkg_conffile_md5("/etc/pam.d/sshd"), \
        "the recipe is an edit of Debian's own /etc/pam.d/sshd: the sandbox must start from it"
    system.stop_sshd()
    system.sshd_mode = "mixed"  # whatever happens here, the other tests' fixture sets up their sshd again
    try:
        with open("/etc/pam.d/sshd", "w") as f:
            f.write(stock)
        for step in STEPS:
            subprocess.run(step, shell=True, check=True, cwd=ROOT)
        run("usermod", "-a", "-G", "phonemfa", "bob")
        for user in ("robot", "deploy"):
            run("useradd", "--create-home", "--shell", "/bin/bash", user)
        run("chpasswd", input=f"deploy:{DEPLOY_PASSWORD}\n")
        system.start_sshd("phonemfa-mixed.conf")
        yield system
    finally:
        system.stop_sshd()
        for user in ("robot", "deploy"):
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        subprocess.run(["groupdel", "phonemfa"], capture_output=True)
        if os.path.exists("/etc/pam.d/phonemfa-sshd-mixed"):
            os.remove("/etc/pam.d/phonemfa-sshd-mixed")
        with open("/etc/pam.d/sshd", "w") as f:
            f.write(stock)
        system.sshd_mode = None


@pytest.fixture
def host(mixed):
    mixed.settle()
    mixed.network.reset()
    mixed.configure()
    shutil.rmtree("/var/lib/phonemfa/state", ignore_errors=True)
    yield mixed
    mixed.network.reset()
    mixed.configure()


def sshd_log_mark():
    return os.path.getsize(SSHD_LOG)


def sshd_log_since(mark):
    with open(SSHD_LOG) as f:
        f.seek(mark)
        return f.read()


def sshd_logged(mark, text, wait=5.0):
    """sshd's log since mark once it holds text (it may lag the client), or
    as it is when wait runs out."""
    deadline = time.monotonic() + wait
    while text not in (log := sshd_log_since(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log


def login(system, client, user_name, password=None, **behaviour):
    """Logs in; returns the client's result, the User, the outcome lines and
    the mark of sshd's log before the login."""
    user = User(system, password or PASSWORD.get(user_name, "unused"), **behaviour)
    mark, log_mark = system.syslog.mark(), sshd_log_mark()
    ok = client.login(system, user_name, user)
    return ok, user, system.syslog.outcomes(mark, "sshd", user_name), log_mark


def outcome(lines):
    assert len(lines) == 1, f"expected one outcome line, got {lines}"
    return dict(pair.split("=", 1) for pair in lines[0].replace('"', "").replace("+X ", "+X_").split())


def allowed_methods(user_name, method):
    """The methods sshd offers user_name before anything succeeded."""
    transport = paramiko.Transport(("127.0.0.1", SSH_PORT))
    try:
        transport.start_client(timeout=10)
        with pytest.raises(paramiko.BadAuthenticationType) as refused:
            method(transport, user_name)
        return refused.value.allowed_types
    finally:
        transport.close()


def ask_password(transport, user_name):
    transport.auth_password(user_name, DEPLOY_PASSWORD if user_name == "deploy" else PASSWORD[user_name])


def ask_interactive(transport, user_name):
    transport.auth_interactive(user_name, lambda title, instructions, prompts: ["x"] * len(prompts))


# -- the recipe as installed ---------------------------------------------------
def test_the_guide_shows_these_steps():
    with open(os.path.join(ROOT, "docs", "admin-guide.md")) as f:
        guide = f.read()
    assert SECTION in guide
    section = re.split(r"\n##+ ", guide.split(SECTION, 1)[1], maxsplit=1)[0]
    for step in STEPS:
        assert f"    {step}\n" in section, f"the guide does not show the step {step!r}"


def test_debian_pam_sshd_gains_one_line(mixed):
    with open("/etc/pam.d/sshd") as f:
        edited = f.read()
    expected = mixed.debian_pam_sshd.replace("\n@include common-auth\n",
                                             "\n@include phonemfa-sshd-mixed\n@include common-auth\n", 1)
    assert edited == expected and edited != mixed.debian_pam_sshd
    with open("/etc/pam.d/phonemfa-sshd-mixed") as f, open(os.path.join(CONF, "pam.d", "phonemfa-sshd-mixed")) as g:
        assert f.read() == g.read()


@pytest.mark.parametrize("user_name, methods", [("alice", "publickey,keyboard-interactive:pam"),
                                                ("robot", "publickey"), ("deploy", "publickey"),
                                                ("carol", "publickey"), ("root", "publickey")])
def test_sshd_resolves_the_match_block(mixed, user_name, methods):
    """What the guide tells the administrator to check with sshd -T."""
    settings = run("sshd", "-T", "-C", f"user={user_name},host=localhost,addr=127.0.0.1").stdout
    assert f"\nauthenticationmethods {methods}\n" in settings
    assert "\npasswordauthentication no\n" in settings


# -- members of the group: key, then the phone ---------------------------------
@pytest.mark.parametrize("client", KEY_CLIENTS, ids=lambda c: c.name)
def test_member_key_then_right_code(host, client):
    ok, user, lines, log_mark = login(host, client, "alice", choices=["1"])
    assert ok
    assert MENU in user.screen()
    assert "Code sent to +X XXXXXXXX17." in user.screen()
    assert not [p for p in user.asked if "assword" in p], "after the key only the phone is asked"
    result = outcome(lines)
    assert (result["outcome"], result["reason"], result["channel"], result["service"]) == \
        ("success", "approved", "text", "sshd")
    assert "Accepted keyboard-interactive/pam for alice" in sshd_logged(log_mark, "Accepted")


@pytest.mark.parametrize("client", KEY_CLIENTS, ids=lambda c: c.name)
def test_member_key_then_wrong_codes_refused(host, client):
    ok, user, lines, _ = login(host, client, "alice", choices=["1"], wrong_codes=3)
    assert not ok
    assert "Wrong code, 2 attempts left." in user.screen()
    assert "Too many wrong codes." in user.screen()
    assert not [p for p in user.asked if "assword" in p], "a failed phone step must not fall through to the password"
    result = outcome(lines)
    assert (result["outcome"], result["reason"]) == ("denied", "wrong_code")


def test_member_without_key_is_asked_nothing(host):
    """Without the key sshd offers nothing else: no password, no phone, no text."""
    assert allowed_methods("alice", ask_interactive) == ["publickey"]
    assert allowed_methods("alice", ask_password) == ["publickey"]
    assert not host.network.ops()


@pytest.mark.parametrize("client", KEY_CLIENTS, ids=lambda c: c.name)
def test_member_without_phone_refused(host, client):
    """unenrolled = "deny" (the default): a member with no phone is refused
    after the key, and the password is not tried instead."""
    host.authorize_key("bob")
    ok, user, lines, _ = login(host, client, "bob")
    assert not ok
    assert "No phone is registered for your account. Contact your administrator." in user.screen()
    assert user.asked == [], "neither a menu nor a password prompt"
    result = outcome(lines)
    assert (result["outcome"], result["reason"]) == ("denied", "not_enrolled")
    assert not host.network.ops()


@pytest.mark.parametrize("client", KEY_CLIENTS, ids=lambda c: c.name)
def test_member_ignored_by_the_module_needs_the_password(host, client):
    """PAM_IGNORE (here unenrolled = "ignore") decides nothing: Debian's
    common-auth asks for the password after the key, and only the right one
    lets bob in."""
    host.configure(unenrolled="ignore")
    host.authorize_key("bob")
    ok, user, lines, log_mark = login(host, client, "bob")
    assert ok
    assert len(user.asked) == 1 and re.search(r"Password: ?$", user.asked[0])
    result = outcome(lines)
    assert (result["outcome"], result["reason"]) == ("ignored", "not_enrolled")
    assert "Accepted keyboard-interactive/pam for bob" in sshd_logged(log_mark, "Accepted")

    mark = host.syslog.mark()
    ok, user, lines, _ = login(host, client, "bob", password="not-the-password")
    assert not ok, "PAM_IGNORE and a wrong password must not let anyone in"
    assert outcome(lines)["outcome"] == "ignored"
    assert any("pam_unix(sshd:auth): authentication failure" in line for line in host.syslog.since(mark))
    assert not host.network.ops()


# -- everyone else: a key alone ------------------------------------------------
@pytest.mark.parametrize("user_name", ["robot", "carol"])
@pytest.mark.parametrize("client", KEY_CLIENTS, ids=lambda c: c.name)
def test_non_member_key_alone(host, client, user_name):
    """The service account, and carol, who has a phone enrolled but is not in
    the group: the group decides who is asked, not the enrollment."""
    host.authorize_key(user_name)
    ok, user, lines, log_mark = login(host, client, user_name)
    assert ok
    assert user.asked == [], "a key-only account is never asked anything"
    assert "Verify your identity" not in user.screen()
    assert lines == [], "the module never runs for a key-only login"
    assert not host.network.ops()
    sshd_log = sshd_logged(log_mark, "Accepted")
    assert f"Accepted publickey for {user_name}" in sshd_log
    assert "keyboard-interactive" not in sshd_log


@pytest.mark.parametrize("client", PASSWORD_CLIENTS, ids=lambda c: c.name)
def test_service_account_with_password_only_refused(host, client):
    """deploy has a password and no key: refused before anything is asked,
    whether the client tries keyboard-interactive or a plain password."""
    ok, user, lines, _ = login(host, client, "deploy", password=DEPLOY_PASSWORD)
    assert not ok
    assert user.asked == []
    assert lines == []
    assert not host.network.ops()
    assert allowed_methods("deploy", ask_password) == ["publickey"]
    assert allowed_methods("deploy", ask_interactive) == ["publickey"]
    if client.name == "ssh":
        assert "Permission denied (publickey)." in user.screen()
