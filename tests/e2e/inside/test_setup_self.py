"""phonemfa-setup run by users: the real setuid binary on a pty, as the user.
Re-authentication first; every new phone proven before it is saved; only
the user's own record; a hostile environment or input changes nothing."""
import json
import os
import pwd
import re
import signal
import subprocess

import pexpect
import pytest

from clients import Sudo, User
from system import PASSWORD, PRIMARY, record

SETUP = "/usr/local/bin/phonemfa-setup"
NEW = "+447700900123"




class Session:
    """phonemfa-setup as USER, answered step by step."""

    def __init__(self, system, user="alice", env=None, args=()):
        self.system = system
        argv = ["--reuid=" + user, "--regid=" + user, "--init-groups"]
        argv += ["--reset-env"] if env is None else []
        argv += ["--", SETUP, *args]
        self.child = pexpect.spawn("/usr/bin/setpriv", argv, encoding="utf-8", timeout=30,
                                   env=env or {"PATH": "/usr/bin:/bin", "TERM": "dumb"})
        self.user = user

    def expect(self, pattern):
        self.child.expect(pattern)
        return self.child.before + self.child.after

    def send(self, text):
        self.child.sendline(text)

    def reauthenticate(self, password=None, phone=True):
        self.expect(r"Password: ")
        self.send(password or PASSWORD[self.user])
        if phone:
            self.expect(r"Choose 1-\d+ \[\d+\]: ")
            self.send("1")
            self.expect(r"go back\): ")
            self.send(self.system.network.last_code(PRIMARY))

    def choose(self, label):
        menu = self.expect(r"Choose: ")
        match = re.search(r"(\d)\) " + re.escape(label), menu)
        assert match, f"no '{label}' in the menu:\n{menu}"
        self.send(match.group(1))

    def finish(self):
        self.child.expect(pexpect.EOF)
        output = self.child.before
        self.child.close()
        return self.child.exitstatus, output


# The number in full before anything is sent (Enter: yes).
CONFIRM = r"Verify \+\d{1,3} \d+(?: ext\. \d+)? by (?:text|call)\? \[Y/n\] "


def add_alternate(session, channel="1", number="7700 900123", country="44", until=r"Enter the code: "):
    """Asks for the alternate phone up to `until`: the code's prompt, or
    what a call answered with # says instead."""
    session.choose("Add or change the alternate phone")
    session.expect(r"Country or calling code \[United States \(\+1\)\]: ")
    session.send(country)
    session.expect(r"Phone number \(or \+country number\): ")
    session.send(number)
    session.expect(r"Verify it by 1\) text or 2\) call: ")
    session.send(channel)
    shown = session.expect(r"Verify \+44 7700900123 by %s\? \[Y/n\] " % ("text" if channel == "1" else "call"))
    session.send("")
    shown += session.expect(until)
    assert "used only for account security. Standard call and text charges may apply." in shown
    return shown


@pytest.mark.parametrize("channel,prompt", [("1", "Code sent to +XX XXXXXXXX23."), ("2", "Calling +XX XXXXXXXX23.")])
def test_enroll_an_alternate_phone_and_use_it_at_login(fresh, channel, prompt):
    mark = fresh.syslog.mark()
    session = Session(fresh)
    session.reauthenticate()
    assert prompt in add_alternate(session, channel)
    session.send(fresh.network.last_code(NEW))
    session.expect("Saved.")
    session.choose("Quit")
    assert session.finish()[0] == 0
    phone = record()["phones"]["alternate"]
    assert (phone["number"], phone["verified_by"], phone["added_by"]) == \
        (NEW, "text" if channel == "1" else "call", "alice")
    from test_setup_admin import change_lines
    assert any('change=add user=alice slot=alternate phone="+XX XXXXXXXX23" verified_by=' in line and
               "actor=alice" in line for line in change_lines(fresh, mark))
    fresh.network.reset()
    user = User(fresh, PASSWORD["alice"], choices=["3"], alternate=NEW)
    assert Sudo().login(fresh, "alice", user)
    assert "3) Text +XX XXXXXXXX23 (alternate)" in user.screen()


def test_language_entry_sets_and_clears_the_language(fresh):
    """The Language entry (issue 14): the current choice, every language
    with a catalogue (by its own name) and the system default; menu numbers
    typed in full-width digits, as a Japanese input method types them. The
    session keeps its language; the next run speaks the new one."""
    session = Session(fresh)
    session.reauthenticate()
    session.choose("Language")
    shown = session.expect(r"Choose: ")
    assert "Your language: English (the default)" in shown, shown
    assert "  1) English\r\n  2) Deutsch\r\n  3) 日本語\r\n  4) the system default\r\n" in shown, shown
    session.send("\uff13")
    session.expect(r"Language set to 日本語 \(ja\)\. It is used from your next login")
    assert record()["language"] == "ja"
    session.choose("Language")
    shown = session.expect(r"Choose: ")
    assert "Your language: 日本語 (ja)" in shown, shown
    session.send("4")
    session.expect(r"Language set to English \(the default\)")
    session.choose("Quit")
    assert session.finish()[0] == 0
    assert "language" not in record()


def test_the_removal_question_takes_yes_in_any_case(fresh):
    session = Session(fresh)
    session.reauthenticate()
    session.choose("Remove the alternate phone")
    session.expect(r"Remove the alternate phone \+X XXXXXXXX19 of alice\? \[y/N\] ")
    session.send("YES")
    session.choose("Quit")
    assert session.finish()[0] == 0
    assert "alternate" not in record()["phones"]


def test_a_wrong_code_saves_nothing(fresh):
    before = record()
    session = Session(fresh)
    session.reauthenticate()
    add_alternate(session)
    for attempt in range(3):
        if attempt:
            session.expect(r"Enter the code: ")
        session.send("000000" if fresh.network.last_code(NEW) != "000000" else "111111")
    status, output = session.finish()
    assert status == 4 and "nothing was saved" in output
    assert record() == before


def test_failed_reauthentication_changes_nothing(fresh):
    session = Session(fresh)
    session.reauthenticate(password="not-the-password", phone=False)
    status, output = session.finish()
    assert status == 1 and "authentication failed; nothing was changed" in output
    assert not fresh.network.ops(), "no code is sent to someone who failed the password"


def test_the_current_phone_is_asked_before_changes(fresh):
    session = Session(fresh)
    session.expect(r"Password: ")
    session.send(PASSWORD["alice"])
    menu = session.expect(r"Choose 1-\d+ \[\d+\]: ")
    assert "Verify your identity:" in menu
    session.send("1")
    session.expect(r"go back\): ")
    session.send("000000" if fresh.network.last_code(PRIMARY) != "000000" else "111111")
    for _ in range(2):
        session.expect(r"go back\): ")
        session.send("000000" if fresh.network.last_code(PRIMARY) != "000000" else "111111")
    status, _ = session.finish()
    assert status == 1


def test_remove_and_choose_preferred(fresh):
    session = Session(fresh)
    session.reauthenticate()
    session.choose("Choose what Enter picks at login")
    session.choose("Call +X XXXXXXXX19 (alternate)")
    session.choose("Remove the alternate phone")
    session.expect(r"Remove the alternate phone \+X XXXXXXXX19 of alice\? \[y/N\] ")
    session.send("")
    session.expect("Nothing was removed.")
    assert "alternate" in record()["phones"]
    session.choose("Remove the alternate phone")
    session.expect(r"Remove the alternate phone \+X XXXXXXXX19 of alice\? \[y/N\] ")
    session.send("y")
    session.choose("Quit")
    assert session.finish()[0] == 0
    assert "alternate" not in record()["phones"] and "preferred" not in record()


def register_first_primary(system):
    """bob, who has no phone, registers a primary one where the
    configuration allows it."""
    with open("/etc/phonemfa/phonemfa.conf", "a") as conf:
        conf.write("\nsetup: { self_register = true; };\n")
    session = Session(system, user="bob")
    session.reauthenticate(phone=False)
    session.choose("Register your primary phone")
    session.expect(r"Country or calling code \[United States \(\+1\)\]: ")
    session.send("")
    session.expect(r"Phone number \(or \+country number\): ")
    session.send("(555) 555-0188")
    session.expect(r"Verify it by 1\) text or 2\) call: ")
    session.send("1")
    session.expect(r"Verify \+1 5555550188 by text\? \[Y/n\] ")
    session.send("y")
    session.expect(r"Enter the code: ")
    session.send(system.network.last_code("+15555550188"))
    session.choose("Quit")
    assert session.finish()[0] == 0
    assert record("bob")["phones"]["primary"]["number"] == "+15555550188"


def test_first_primary_phone_when_allowed(fresh):
    register_first_primary(fresh)


def test_no_first_primary_phone_by_default(fresh):
    session = Session(fresh, user="bob")
    session.reauthenticate(phone=False)
    menu = session.expect(r"Choose: ")
    assert "Register your primary phone" not in menu and "1) Quit" in menu
    session.send("1")
    assert session.finish()[0] == 0 and record("bob") is None


def test_hostile_environment_changes_nothing(fresh):
    hostile = {"LD_PRELOAD": "/tmp/evil.so", "LD_LIBRARY_PATH": "/tmp", "PATH": "/tmp/evil",
               "IFS": "x", "LANG": "xx_EVIL.UTF-8", "LOCPATH": "/tmp/evil-locale",
               "LANGUAGE": "../../tmp", "NLSPATH": "/tmp/%N", "https_proxy": "http://127.0.0.1:9",
               "GCONV_PATH": "/tmp", "TERM": "dumb", "HOME": "/tmp"}
    with open("/tmp/evil.so", "w") as f:
        f.write("not a library")
    session = Session(fresh, env=hostile)
    session.reauthenticate()
    add_alternate(session)
    session.send(fresh.network.last_code(NEW))
    session.expect("Saved.")
    session.choose("Quit")
    assert session.finish()[0] == 0
    assert record()["phones"]["alternate"]["number"] == NEW


@pytest.mark.parametrize("number,complaint", [
    ("555-CALL-NOW", "a number may contain only digits"),
    ("7" * 200, "the input is too long"),
    ("07700\x1b[2J900123", "a number may contain only digits"),
    ("12", "the number has too few digits"),
])
def test_hostile_numbers_are_asked_again(fresh, number, complaint):
    before = record()
    session = Session(fresh)
    session.reauthenticate()
    session.choose("Add or change the alternate phone")
    session.expect(r"Country or calling code \[United States \(\+1\)\]: ")
    session.send("44")
    shown = ""
    for _ in range(3):
        shown += session.expect(r"Phone number \(or \+country number\): ")
        session.send(number)
    shown += session.expect(r"Choose: ")
    assert shown.count(f"That number cannot be used: {complaint}") == 3
    session.child.sendeof()
    status, _ = session.finish()
    assert status != 0
    assert record() == before


STEPS = ["password", "phone menu", "code", "setup menu", "country", "number", "channel", "confirm", "new code"]


@pytest.mark.parametrize("stop", STEPS)
def test_end_of_input_at_every_prompt_changes_nothing(fresh, stop):
    before = record()
    session = Session(fresh)
    prompts = [("password", r"Password: ", PASSWORD["alice"]), ("phone menu", r"Choose 1-\d+ \[\d+\]: ", "1"),
               ("code", r"go back\): ", None), ("setup menu", r"Choose: ", None),
               ("country", r"Country or calling code \[United States \(\+1\)\]: ", "44"),
               ("number", r"Phone number \(or \+country number\): ", "7700 900123"),
               ("channel", r"Verify it by 1\) text or 2\) call: ", "1"), ("confirm", CONFIRM, ""),
               ("new code", r"Enter the code: ", None)]
    for name, pattern, answer in prompts:
        menu = session.expect(pattern)
        if name == stop:
            session.child.sendeof()
            break
        if name == "code":
            answer = fresh.network.last_code(PRIMARY)
        if name == "setup menu":
            answer = re.search(r"(\d)\) Add or change the alternate phone", menu).group(1)
        session.send(answer)
    status, _ = session.finish()
    assert status != 0
    assert record() == before


def test_needs_a_terminal(fresh):
    result = subprocess.run(["setpriv", "--reuid=alice", "--regid=alice", "--init-groups", "--reset-env", "--",
                             SETUP], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert result.returncode == 5 and "run it in a terminal" in result.stderr


def test_users_cannot_reach_other_records(fresh):
    for args in (["--user", "bob", "list"], ["--config", "/tmp/other.conf", "check"], ["check"]):
        result = subprocess.run(["setpriv", "--reuid=alice", "--regid=alice", "--init-groups", "--reset-env",
                                 "--", SETUP, *args], capture_output=True, text=True)
        assert result.returncode == 5


def test_two_sessions_at_once_lose_nothing(fresh):
    first, second = Session(fresh), Session(fresh)
    first.reauthenticate()
    second.reauthenticate()
    add_alternate(first)
    second.choose("Add or change the office phone (calls, with extension)")
    second.expect(r"Country or calling code \[United States \(\+1\)\]: ")
    second.send("")
    second.expect(r"Phone number \(with extension")
    second.send("555 555 0123 x4321")
    second.expect(r"Verify \+1 5555550123 ext\. 4321 by call\? \[Y/n\] ")
    second.send("")
    second.expect(r"Enter the code: ")
    first.send(fresh.network.last_code(NEW))
    second.send(fresh.network.last_code("+15555550123"))
    for session in (first, second):
        session.expect("Saved.")
        session.choose("Quit")
        assert session.finish()[0] == 0
    phones = record()["phones"]
    assert phones["alternate"]["number"] == NEW and phones["office"]["extension"] == "4321"


def test_killed_in_the_middle_leaves_the_old_record(fresh):
    before = record()
    session = Session(fresh)
    session.reauthenticate()
    add_alternate(session)
    os.kill(session.child.pid, signal.SIGKILL)
    session.child.close(force=True)
    assert record() == before


def test_which_slots_users_may_change_is_configurable(fresh):
    with open("/etc/phonemfa/phonemfa.conf", "a") as conf:
        conf.write('\nsetup: { self_service_slots = [ "alternate" ]; };\n')
    session = Session(fresh)
    session.reauthenticate()
    menu = session.expect(r"Choose: ")
    assert "Add or change the alternate phone" in menu
    assert "Add or change the office phone" not in menu and "Remove the office phone" not in menu
    session.send("9")
    session.child.sendeof()
    session.finish()


def test_nothing_to_forget_where_logins_are_not_remembered(fresh):
    """remember is off by default: the menu offers no "Forget remembered
    logins", which would only have failed."""
    session = Session(fresh)
    session.reauthenticate()
    menu = session.expect(r"Choose: ")
    assert "Forget remembered logins" not in menu and "Add or change the alternate phone" in menu, menu
    session.send(re.search(r"(\d)\) Quit", menu).group(1))
    assert session.finish()[0] == 0


def test_users_forget_their_own_remembered_logins(fresh):
    os.makedirs("/var/lib/phonemfa/state", mode=0o700, exist_ok=True)
    with open("/etc/phonemfa/phonemfa.conf", "a") as conf:
        conf.write('\nremember: { mode = "always"; };\n')
    state = "/var/lib/phonemfa/state/alice.state"
    with open(state, "w") as f:
        json.dump({"version": 1, "remembered": [{"key": "rhost=192.0.2.1;service=sshd", "phones": "x",
                                                 "until": "2099-01-01T00:00:00Z"}]}, f)
    os.chmod(state, 0o600)
    mark = fresh.syslog.mark()
    session = Session(fresh)
    session.reauthenticate()
    session.choose("Forget remembered logins")
    session.choose("Quit")
    assert session.finish()[0] == 0
    assert json.load(open(state))["remembered"] == []
    from test_setup_admin import change_lines
    assert any("change=forget user=alice" in line and "actor=alice" in line for line in change_lines(fresh, mark))
    os.remove(state)


def test_after_reauthentication_the_worker_runs_as_the_user(fresh):
    """phonemfad's setup worker is root until the user has re-authenticated,
    then drops to their uid (root stays only as the saved uid, taken back for
    store writes): what the user types next is handled without root (found
    in review: the drop had become a no-op in the worker)."""
    session = Session(fresh)
    session.reauthenticate()
    session.expect(r"Choose: ")
    workers = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and b"--setup-worker" in open(f"/proc/{entry}/cmdline", "rb").read():
                workers.append(open(f"/proc/{entry}/status").read())
        except OSError:
            pass
    alice = pwd.getpwnam("alice").pw_uid
    assert len(workers) == 1, workers
    uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", workers[0], re.M).groups()
    assert uids == (str(alice), str(alice), "0", str(alice)), uids
    session.send("q")
    session.child.close(force=True)


def test_the_typed_number_is_shown_in_full_and_nothing_sent_unless_confirmed(fresh):
    session = Session(fresh)
    session.reauthenticate()
    session.choose("Add or change the alternate phone")
    session.expect(r"Country or calling code \[United States \(\+1\)\]: ")
    session.send("44")
    session.expect(r"Phone number \(or \+country number\): ")
    session.send("07700 900123")
    session.expect(r"Verify it by 1\) text or 2\) call: ")
    session.send("1")
    session.expect(r"Verify \+44 7700900123 by text\? \[Y/n\] ")
    session.send("n")
    session.expect("Nothing was sent.")
    session.choose("Quit")
    session.finish()
    assert not [d for d in fresh.network.deliveries if d["to"] == NEW], \
        "a text went out for a number the user did not confirm"
    assert record()["phones"]["alternate"]["number"] != NEW


def test_a_national_number_that_fits_another_country_gets_a_hint(fresh):
    session = Session(fresh)
    session.reauthenticate()
    session.choose("Add or change the alternate phone")
    session.expect(r"Country or calling code \[United States \(\+1\)\]: ")
    session.send("")
    session.expect(r"Phone number \(or \+country number\): ")
    session.send("07700 900123")
    shown = session.expect(r"Phone number \(or \+country number\): ")
    assert ("That number cannot be used: the number has too many digits (at most 15 with the country code).\n"
            "If this is not a +1 number, type it with its country code, e.g. +44 7700 900123." in shown.replace("\r", "")), shown
    session.child.sendeof()
    session.child.close(force=True)
