"""phonemfa-setup's administrator commands, run as root in the sandbox:
each change lands atomically in the store, is logged, and is what the
module then offers at login."""
import json
import os
import subprocess
import threading

import pexpect
import pytest

from clients import Sudo, User
from system import PASSWORD, record

SETUP = "/usr/local/bin/phonemfa-setup"
NEW = "+447700900123"


def setup(*args, input_text=None):
    return subprocess.run([SETUP, *args], capture_output=True, text=True, input=input_text, timeout=60)




def change_lines(system, mark, expected=1, wait=3.0):
    """The change lines logged since mark; waits (bounded) for the syslog
    receiver thread to have read at least `expected` of them."""
    import time
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in system.syslog.since(mark) if "phonemfa-setup" in line and "change=" in line]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_assisted_enrollment_without_verification(fresh):
    mark = fresh.syslog.mark()
    result = setup("--user", "alice", "add", "alternate", "+44 7700 900123", "--no-verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "alice: alternate phone set to +XX XXXXXXXX23 (text, call, NOT VERIFIED)\n"
    phone = record()["phones"]["alternate"]
    assert (phone["number"], phone["verified_by"], phone["verified_at"], phone["added_by"]) == \
        (NEW, "none", None, "root")
    listing = setup("--user", "alice", "list").stdout
    assert "alternate  +447700900123  text, call  NOT VERIFIED (added by root" in listing
    assert change_lines(fresh, mark) and \
        'change=add user=alice slot=alternate phone="+XX XXXXXXXX23" verified_by=none actor=root' in change_lines(fresh, mark)[0]
    assert not fresh.network.ops(), "nothing sent for an assisted enrollment"


def test_enrollment_verified_by_code_then_used_at_login(fresh):
    child = pexpect.spawn(SETUP, ["--user", "alice", "add", "alternate", NEW, "--verify", "text"],
                          encoding="utf-8", timeout=30)
    child.expect(r"Verify \+44 7700900123 by text\? \[Y/n\] ")
    child.sendline("")
    child.expect(r"Code sent to \+XX XXXXXXXX23\. Enter the code: ")
    child.sendline(fresh.network.last_code(NEW))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "alice: alternate phone set to +XX XXXXXXXX23 (text, call, verified by text)" in child.before
    assert record()["phones"]["alternate"]["verified_by"] == "text"
    fresh.network.reset()
    user = User(fresh, PASSWORD["alice"], choices=["3"], alternate=NEW)
    assert Sudo().login(fresh, "alice", user)
    assert "3) Text +XX XXXXXXXX23 (alternate)" in "\n".join(user.seen)


def test_unproven_phone_is_not_saved(fresh):
    before = record()
    child = pexpect.spawn(SETUP, ["--user", "alice", "add", "alternate", NEW, "--verify", "call"],
                          encoding="utf-8", timeout=30)
    child.expect(r"Verify \+44 7700900123 by call\? \[Y/n\] ")
    child.sendline("y")
    for _ in range(3):
        child.expect(r"Calling \+XX XXXXXXXX23\. Enter the code: ")
        child.sendline("000000" if fresh.network.last_code(NEW) != "000000" else "111111")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4
    assert "the phone was not verified; nothing was saved" in child.before
    assert record() == before
    assert len(fresh.network.ops("cancel")) == 1


def test_remove_and_preferred(fresh):
    mark = fresh.syslog.mark()
    assert setup("--user", "alice", "preferred", "alternate", "call").returncode == 0
    assert record()["preferred"] == {"slot": "alternate", "channel": "call"}
    assert setup("--user", "alice", "remove", "alternate", "--yes").returncode == 0
    assert "alternate" not in record()["phones"] and "preferred" not in record()
    assert setup("--user", "alice", "remove", "alternate", "--yes").returncode == 1
    assert setup("--user", "alice", "remove", "--yes", "primary").returncode == 0
    assert record() is None, "without phones the user is no longer enrolled"
    assert len(change_lines(fresh, mark, expected=3)) == 3


def test_list_json(fresh):
    listing = json.loads(setup("--user", "alice", "list", "--json").stdout)
    assert listing["user"] == "alice"
    assert listing["record"]["phones"]["primary"]["number"] == "+15555550117"
    assert listing["lockout"] == {"locked": False, "until": None}
    assert json.loads(setup("--user", "nobody-here", "list", "--json").stdout)["record"] is None


def test_lockout_show_and_clear_and_forget(fresh):
    os.makedirs("/var/lib/phonemfa/state", mode=0o700, exist_ok=True)
    fresh.configure(extra='lockout: { failures = 3; };\nremember: { mode = "always"; };')
    with open("/var/lib/phonemfa/state/alice.state", "w") as state:
        json.dump({"version": 1, "locked_until": "2099-01-01T00:00:00Z", "failures": [],
                   "remembered": [{"key": "rhost=192.0.2.1;service=sshd", "phones": "x", "until": "2099-01-01T00:00:00Z"}]},
                  state)
    os.chmod("/var/lib/phonemfa/state/alice.state", 0o600)
    assert "lockout: locked until 2099-01-01T00:00:00Z" in setup("--user", "alice", "lockout").stdout
    assert "remembered logins: 1" in setup("--user", "alice", "list").stdout
    assert setup("--user", "alice", "lockout", "--clear").returncode == 0
    assert setup("--user", "alice", "forget").returncode == 0
    listing = setup("--user", "alice", "list").stdout
    assert "lockout: none" in listing and "remembered logins: 0" in listing
    assert setup("--user", "alice", "reset").returncode == 0
    assert record() is None and not os.path.exists("/var/lib/phonemfa/state/alice.state")


def test_check_explains_problems(fresh):
    good = setup("check")
    assert good.returncode == 0, good.stdout
    assert "service https://127.0.0.1:" in good.stdout and "credentials accepted" in good.stdout
    assert "0 problems found" in good.stdout
    with open("/etc/phonemfa/service.token", "w") as token:
        token.write("wrong\n")
    bad_token = setup("check")
    assert bad_token.returncode == 3
    assert "The service refused the credentials: check token_file" in bad_token.stdout
    fresh.configure()
    os.chmod("/etc/phonemfa/phonemfa.conf", 0o666)
    broken = setup("check")
    assert broken.returncode == 3
    assert "writable by group or others" in broken.stdout and "Every login through pam_phonemfa is denied" in broken.stdout
    os.chmod("/etc/phonemfa/phonemfa.conf", 0o644)
    with open("/var/lib/phonemfa/carol.json", "w") as bad:
        bad.write("{")
    corrupt = setup("check")
    assert corrupt.returncode == 3 and "carol.json: not valid JSON" in corrupt.stdout
    fresh.enroll("carol")


@pytest.mark.parametrize("number,message", [
    ("555-CALL-NOW", "a number may contain only digits"),
    ("1" * 80, "the input is too long"),
    ("+1 555 555 0117\x1b[2J", "a number may contain only digits"),
    ("+44 12", "too few digits"),
    ("07700 900123", "'07700 900123': the number has too many digits (at most 15 with the country code)\n"
                     "phonemfa-setup: If this is not a +1 number, type it with its country code, e.g. +44 7700 900123.\n"),
])
def test_hostile_numbers_are_refused(fresh, number, message):
    before = record()
    result = setup("--user", "alice", "add", "alternate", number, "--no-verify")
    assert result.returncode == 2 and message in result.stderr
    assert record() == before


@pytest.mark.parametrize("args", [
    ["--user", "../root", "list"], ["--user", "alice", "add", "backup", NEW, "--no-verify"],
    ["--user", "alice", "add", "alternate", NEW], ["--user", "alice", "preferred", "primary", "fax"],
    ["--user", "alice", "frobnicate"], ["--config", "relative.conf", "check"],
])
def test_bad_usage(fresh, args):
    assert setup(*args).returncode == 2


def test_only_root(fresh):
    result = subprocess.run(["setpriv", "--reuid=alice", "--regid=alice", "--init-groups", "--", SETUP,
                             "--user", "alice", "list"], capture_output=True, text=True)
    assert result.returncode == 5 and "options and commands are for root" in result.stderr


def test_parallel_changes_are_never_lost(fresh):
    errors = []

    def add(slot, number):
        result = setup("--user", "alice", "add", slot, number, "--no-verify")
        if result.returncode != 0:
            errors.append(result.stderr)
    runs = [threading.Thread(target=add, args=args) for args in
            [("alternate", NEW), ("office", "+15555550123 x4321")] * 4]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert not errors
    phones = record()["phones"]
    assert phones["alternate"]["number"] == NEW and phones["office"]["extension"] == "4321"
    assert phones["primary"]["number"] == "+15555550117"


def test_sigkill_at_any_moment_of_a_write_leaves_a_whole_record(fresh):
    """phonemfa-setup killed at many points while it writes: the record is
    always the old one or the new one, never half of either."""
    import signal
    import time
    old = record()
    numbers = [NEW, "+447700900124"]
    for round_number in range(40):
        target = numbers[round_number % 2]
        child = subprocess.Popen([SETUP, "--user", "alice", "add", "alternate", target, "--no-verify"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.0005 * (round_number % 20))
        child.send_signal(signal.SIGKILL)
        child.wait()
        current = record()
        assert current is not None, "the record vanished"
        assert current["phones"]["primary"] == old["phones"]["primary"]
        assert current["phones"]["alternate"]["number"] in (old["phones"]["alternate"]["number"], *numbers)
    assert setup("check").returncode == 0, "the store is still valid as a whole"


def test_help_and_version_on_stdout_for_anyone(fresh):
    for args in (["--help"], ["-h"], ["--socket=/nonexistent/phonemfad.sock", "--help"]):
        result = setup(*args)
        assert (result.returncode, result.stderr) == (0, ""), args
        assert result.stdout.startswith("usage: phonemfa-setup") and "remove SLOT [--yes]" in result.stdout
    version = setup("--version")
    assert (version.returncode, version.stdout, version.stderr) == (0, "phonemfa-setup 0.1.0\n", "")
    as_user = subprocess.run(["setpriv", "--reuid=alice", "--regid=alice", "--init-groups", "--", SETUP, "--help"],
                             capture_output=True, text=True)
    assert as_user.returncode == 0 and as_user.stdout.startswith("usage: phonemfa-setup")


def test_options_take_their_value_after_an_equals_sign(fresh):
    listing = setup("--socket=/run/phonemfa/phonemfad.sock", "--user=alice", "list")
    assert listing.returncode == 0 and listing.stdout.startswith("alice (phones in"), listing.stderr
    added = setup("--user=alice", "add", "alternate", NEW, "--no-verify", "--channels=text")
    assert added.returncode == 0, added.stderr
    assert record()["phones"]["alternate"]["channels"] == ["text"]
    assert setup("--socket=relative.sock", "--user=alice", "list").returncode == 2


def test_remove_asks_first(fresh):
    before = record()
    refused = setup("--user", "alice", "remove", "alternate")
    assert refused.returncode == 1
    assert "removing a phone asks for confirmation on a terminal; without one, add --yes" in refused.stderr
    assert record() == before
    for answer, status in (("", 1), ("n", 1), ("y", 0)):
        child = pexpect.spawn(SETUP, ["--user", "alice", "remove", "alternate"], encoding="utf-8", timeout=30)
        child.expect(r"Remove the alternate phone \+\S+ \S+ of alice\? \[y/N\] ")
        child.sendline(answer)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == status, child.before
        assert ("alternate" in record()["phones"]) == (status != 0)
    assert "alice: alternate phone " in child.before and " removed" in child.before


def test_unknown_user_is_not_enrolled(fresh):
    result = setup("--user", "ghost", "add", "primary", NEW, "--no-verify")
    assert result.returncode == 1
    assert "there is no user ghost on this system" in result.stderr
    assert not os.path.exists("/var/lib/phonemfa/ghost.json")


def test_users_lists_everyone_enrolled_masked(fresh):
    result = setup("users")
    assert result.returncode == 0, result.stderr
    alice = [line for line in result.stdout.splitlines() if line.startswith("alice ")]
    assert alice and "primary +X XXXXXXXX17" in alice[0] and "+15555550117" not in result.stdout
    assert "enrolled user" in result.stdout.splitlines()[-1]
    assert setup("--user", "alice", "users").returncode == 2


def test_check_flags_orphan_records_and_reset_removes_them(fresh):
    with open("/var/lib/phonemfa/alice.json") as f:
        orphan = f.read()
    with open("/var/lib/phonemfa/ghost.json", "w") as f:
        f.write(orphan)
    os.chmod("/var/lib/phonemfa/ghost.json", 0o600)
    try:
        check = setup("check")
        assert check.returncode == 3
        assert "PROBLEM  ghost: a record for a user that does not exist (an orphan)" in check.stdout
        assert "(no such user: an orphan record)" in setup("users").stdout
        reset = setup("--user", "ghost", "reset")
        assert reset.returncode == 0, reset.stderr
        assert "it was an orphan record" in reset.stdout
        assert not os.path.exists("/var/lib/phonemfa/ghost.json")
        assert setup("check").returncode == 0
    finally:
        if os.path.exists("/var/lib/phonemfa/ghost.json"):
            os.remove("/var/lib/phonemfa/ghost.json")


def test_a_damaged_record_is_replaced_by_reset(fresh):
    mark = fresh.syslog.mark()
    with open("/var/lib/phonemfa/alice.json", "w") as bad:
        bad.write("{")
    remove = setup("--user", "alice", "remove", "primary", "--yes")
    assert remove.returncode == 3 and "a record that cannot be read is replaced as a whole by reset" in remove.stderr
    assert "phonemfa-setup --user alice reset replaces it" in setup("check").stdout
    reset = setup("--user", "alice", "reset")
    assert reset.returncode == 0, reset.stderr
    assert record() is None
    assert any("change=reset user=alice" in line and "record=unreadable" in line
               for line in change_lines(fresh, mark))


def test_nothing_is_sent_to_a_number_not_confirmed(fresh):
    before = record()
    child = pexpect.spawn(SETUP, ["--user", "alice", "add", "alternate", "+44 7700 900124", "--verify", "text"],
                          encoding="utf-8", timeout=30)
    child.expect(r"Verify \+44 7700900124 by text\? \[Y/n\] ")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1 and "Nothing was sent." in child.before
    assert not fresh.network.ops() and record() == before


def test_enrollment_by_a_call_answered_with_a_key_press(fresh):
    """A service that verifies calls by key press only: the call is the
    proof, never a call followed by a refusal."""
    fresh.network.call_mode = "approval"
    child = pexpect.spawn(SETUP, ["--user", "alice", "add", "alternate", NEW, "--verify", "call"],
                          encoding="utf-8", timeout=30)
    child.expect(r"Verify \+44 7700900123 by call\? \[Y/n\] ")
    child.sendline("")
    child.expect(r"Calling \+XX XXXXXXXX23\. Answer it and press # to confirm the phone\.")
    assert fresh.network.answer_call(NEW, "approve")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "use --verify text" not in child.before
    assert record()["phones"]["alternate"]["verified_by"] == "call"
