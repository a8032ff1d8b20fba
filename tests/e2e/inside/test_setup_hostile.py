"""The hostile-input matrix for the real setuid phonemfa-setup in the
sandbox: hostile argv (from root and from a user), hostile answers at every
prompt of self-service, closed standard descriptors, umask 000, and the
terminal signals at every prompt. Each case asserts the program's exact
message or exit status, that nothing changed in the store, and for signals
that the terminal's ECHO flag is on afterwards (read from the pty)."""
import json
import os
import pwd
import re
import signal
import subprocess
import termios
import time

import pexpect
import pytest

from system import PASSWORD, PRIMARY, record
from test_attacks import WrappedSession, wait_echo
from test_setup_self import Session

SETUP = "/usr/local/bin/phonemfa-setup"
STORE = "/var/lib/phonemfa"
NEW = "+447700900123"
ROOT_ONLY = ("phonemfa-setup: options and commands are for root; run it without arguments to change "
             "your own phones")
USAGE = "usage: phonemfa-setup"
AUTH_FAILED = "phonemfa-setup: authentication failed; nothing was changed"


def store_files():
    """Every phone record in the store, byte for byte."""
    files = {}
    for name in sorted(os.listdir(STORE)):
        if name.endswith(".json"):
            with open(os.path.join(STORE, name), "rb") as f:
                files[name] = f.read()
    return files


def plain(text):
    return text.replace("\r\n", "\n").replace("\r", "")


# -- hostile argv ------------------------------------------------------------------

UNKNOWN_COMMAND = 'phonemfa-setup: unknown command "%s"; use list, add, remove, preferred, language, reset, lockout or forget'
UNKNOWN_OPTION = 'phonemfa-setup: unknown option "%s"; before the command only --user NAME is taken'
NO_CONFIG = "phonemfa-setup: the configuration is phonemfad's (phonemfad --config); --config is no longer taken"

ROOT_ARGV = [
    (["frobnicate"], 2, UNKNOWN_COMMAND % "frobnicate"),
    (["--user", "alice", "frobnicate"], 2, UNKNOWN_COMMAND % "frobnicate"),
    (["--user", "alice", "LIST"], 2, UNKNOWN_COMMAND % "LIST"),
    (["--user", "alice", ""], 2, UNKNOWN_COMMAND % ""),
    (["--user", "alice", "list\x1b[2J"], 2, UNKNOWN_COMMAND % "list?[2J"),
    (["--user", "alice", "list", "--json", "extra"], 2, USAGE),
    (["--user", "alice", "list", "--xml"], 2, USAGE),
    (["--user", "alice", "remove"], 2, "phonemfa-setup: remove needs a slot: primary, alternate or office"),
    (["--user", "alice", "remove", "primary", "--force"], 2, 'phonemfa-setup: remove takes a slot and --yes, not "--force"'),
    (["--user", "alice", "preferred", "primary"], 2, USAGE),
    (["--user", "alice", "lockout", "--clear", "--force"], 2, USAGE),
    (["--user", "alice", "reset", "now"], 2, USAGE),
    (["--user", "alice", "add", "alternate", NEW, "--verify"], 2,
     "phonemfa-setup: --verify needs a verification method; use text or call"),
    (["--user", "alice", "add", "alternate", NEW, "--verify", "sms"], 2,
     'phonemfa-setup: unknown verification method "sms"; use text or call'),
    (["--user", "alice", "add", "alternate", NEW, "--verify=sms"], 2,
     'phonemfa-setup: unknown verification method "sms"; use text or call'),
    (["--user", "alice", "add", "alternate", NEW, "--no-verify", "--channels"], 2,
     "phonemfa-setup: --channels needs a list"),
    (["--user", "alice", "add", "alternate", NEW, "--no-verify", "--force"], 2,
     'phonemfa-setup: add does not take "--force"; it takes --verify text|call, --no-verify and --channels LIST'),
    (["--user", "alice", "add", "alternate", NEW, "--no-verify", "--channels=fax"], 2,
     "phonemfa-setup: --channels must be text, call or text,call (office: call)"),
    (["--user", "alice", "add", "alternate", NEW, "--no-verify", "--channels", "fax"], 2,
     "phonemfa-setup: --channels must be text, call or text,call (office: call)"),
    (["--user", "alice", "add", "alternate", NEW], 2, USAGE),
    (["--user", "alice", "add", "alternate", NEW, "--channels", "call"], 2,
     "phonemfa-setup: add needs --verify text|call"),
    (["--user", "alice", "add", "alternate", NEW, "--verify", "text", "--no-verify"], 2,
     "phonemfa-setup: add needs --verify text|call"),
    (["--user", "alice", "add", "backup", NEW, "--no-verify"], 2,
     "phonemfa-setup: 'backup' is not a slot: primary, alternate or office"),
    (["--user", "alice", "add", "primary", NEW + " x12", "--no-verify"], 2,
     "phonemfa-setup: only the office phone may have an extension"),
    (["--user", "alice", "preferred", "primary", "fax"], 2, "phonemfa-setup: 'fax' is not a channel: text or call"),
    (["--user", "alice", "remove", "Primary"], 2, "phonemfa-setup: 'Primary' is not a slot"),
    (["--user"], 2, "phonemfa-setup: --user needs a user name"),
    (["--config"], 2, NO_CONFIG),
    (["--config=relative.conf", "check"], 2, NO_CONFIG),
    (["--user", "alice"], 2, "phonemfa-setup: no command given"),
    (["list"], 2, "phonemfa-setup: list needs --user NAME before it"),
    (["check", "now"], 2, 'phonemfa-setup: "check" takes no arguments'),
    (["--config", "relative.conf", "check"], 2, NO_CONFIG),
    (["--config", "", "check"], 2, NO_CONFIG),
    (["--config", "../../etc/phonemfa/phonemfa.conf", "--user", "alice", "list"], 2, NO_CONFIG),
    (["--user", "alice", "check"], 2, "phonemfa-setup: check is not for one user: run it without --user"),
    (["--user", "alice", "--", "list"], 2, 'phonemfa-setup: unknown option "--"'),
    (["--verbose", "--user", "alice", "list"], 2, 'phonemfa-setup: unknown option "--verbose"'),
    (["--help", "now"], 2, UNKNOWN_OPTION % "--help"),
    (["-h", "now"], 2, UNKNOWN_COMMAND % "-h"),
    (["--user", "../root", "list"], 2, "phonemfa-setup: not a valid user name"),
    (["--user", "alice/../root", "list"], 2, "phonemfa-setup: not a valid user name"),
    (["--user", "..", "reset"], 2, "phonemfa-setup: not a valid user name"),
    (["--user", "-rf", "reset"], 2, "phonemfa-setup: not a valid user name"),
    (["--user", "alice\x1b[2J", "reset"], 2, "phonemfa-setup: not a valid user name"),
    (["--user", "a" * 4096, "list"], 2, "phonemfa-setup: not a valid user name"),
    (["--user", "alice", "a" * 4096], 2, UNKNOWN_COMMAND % ("a" * 40 + "...")),
    (["--user", "alice", "add", "alternate", "7" * 4096, "--no-verify"], 2, "the input is too long"),
    (["--user", "alice", "add", "alternate", "+44 7700 900123\x1b[2J", "--no-verify"], 2,
     "a number may contain only digits"),
    (["--user", "alice", "add", "a" * 4096, NEW, "--no-verify"], 2, "is not a slot: primary, alternate or office"),
    # The configuration is phonemfad's: no client can point it at another file.
    (["--config", "/nonexistent/phonemfa.conf", "--user", "alice", "reset"], 2, NO_CONFIG),
    (["--config", "/etc/phonemfa/", "--user", "alice", "reset"], 2, NO_CONFIG),
    (["--config", "/etc/phonemfa/service.token", "--user", "alice", "reset"], 2, NO_CONFIG),
    (["--config", "/etc/phonemfa/" + "a" * 4096, "--user", "alice", "reset"], 2, NO_CONFIG),
]


@pytest.mark.parametrize("args,status,message", ROOT_ARGV, ids=lambda v: repr(v)[:50])
def test_hostile_argv_from_root(fresh, args, status, message):
    before = store_files()
    result = subprocess.run([SETUP, *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == status, result.stderr
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    assert store_files() == before


USER_ARGV = [
    ["--user", "alice", "list"], ["--user", "bob", "add", "primary", NEW, "--no-verify"],
    ["--user", "alice", "reset"], ["--config", "/tmp/evil.conf"], ["--config"], ["check"], ["list"],
    [""], ["-"], ["a" * 4096], ["--user", "../root", "reset"],
]


@pytest.mark.parametrize("args", USER_ARGV, ids=lambda v: repr(v)[:50])
def test_hostile_argv_from_a_user(fresh, args):
    before = store_files()
    result = subprocess.run(["setpriv", "--reuid=alice", "--regid=alice", "--init-groups", "--reset-env", "--",
                             SETUP, *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 5
    assert result.stderr == ROOT_ONLY + "\n"
    assert result.stdout == ""
    assert store_files() == before


# -- hostile answers at every prompt of self-service ---------------------------------

PROMPTS = [
    ("password", r"Password: ", True),
    ("phone menu", r"Choose 1-\d+ \[\d+\]: ", False),
    ("code", r"go back\): ", True),
    ("setup menu", r"Choose: ", False),
    ("country", r"Country or calling code \[United States \(\+1\)\]: ", False),
    ("number", r"Phone number \(or \+country number\): ", False),
    ("channel", r"Verify it by 1\) text or 2\) call: ", False),
    ("confirm", r"Verify \+44 7700900123 by text\? \[Y/n\] ", False),
    ("new code", r"Enter the code: ", True),
]
PROMPT_NAMES = [name for name, _, _ in PROMPTS]


def drive_to(session, system, stop):
    """Answers every prompt before `stop` as alice would; returns what was
    shown up to the `stop` prompt, once it waits for an answer."""
    for name, pattern, hidden in PROMPTS:
        shown = session.expect(pattern)
        if name == stop:
            if hidden:
                assert wait_echo(session.child, on=False), f"the {name} prompt should hide what is typed"
            return shown
        answer = {"password": PASSWORD["alice"], "phone menu": "1", "country": "44", "number": "7700 900123",
                  "channel": "1", "confirm": "y"}.get(name)
        if name == "code":
            answer = system.network.last_code(PRIMARY)
        elif name == "setup menu":
            answer = re.search(r"(\d)\) Add or change the alternate phone", shown).group(1)
        session.send(answer)
    raise AssertionError(stop)


def set_canonical(fd, on):
    """Only ICANON, leaving ECHO as the program set it."""
    attributes = termios.tcgetattr(fd)
    attributes[3] = attributes[3] | termios.ICANON if on else attributes[3] & ~termios.ICANON
    termios.tcsetattr(fd, termios.TCSANOW, attributes)


def send_long_line(child, length):
    """A line of `length` bytes, the program reading it whole: a terminal in
    canonical mode would cut it at 4095 bytes, so the bytes go in
    non-canonical mode, and the newline after the terminal is canonical
    again (a ^D right after the switch back would not be end of input)."""
    set_canonical(child.child_fd, False)
    data = b"7" * length
    while data:
        data = data[os.write(child.child_fd, data[:4096]):]
        # What the terminal echoes is read as it comes, so nothing blocks,
        # and kept for expect() (the program's answer may be in it).
        try:
            child.buffer = child.buffer + child.read_nonblocking(65536, timeout=0)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass
    time.sleep(0.2)
    set_canonical(child.child_fd, True)
    os.write(child.child_fd, b"\n")


HOSTILE = {
    "escape": "\x1b[2J\x1b[H\x1b]0;owned\x07",
    "nul": "1\x002",
    "100k": None,
    "eof": None,
}
# What the program says right after each hostile answer (other than end of input).
AFTER = {
    "password": AUTH_FAILED,
    "phone menu": "Please enter a number from 1 to 4.",
    "code": "Wrong code, 2 attempts left.",
    "setup menu": "Please enter a number from 1 to ",
    "country": "Type part of a country's name, or its calling code.",
    "number": "That number cannot be used: ",
    "channel": "Please enter a number from 1 to 2.",
    "new code": "Wrong code.",
    "confirm": "Nothing was sent.",
}
# A confirmation is not asked again: anything but yes is no, and the menu
# comes back.
ASKED_NEXT = {"confirm": (r"Choose: ", False)}
# At the PAM prompts a refused line (too long, a NUL byte) ends the
# conversation: the re-authentication fails at once.
CONVERSATION_ENDS = {"phone menu", "code"}
EXIT = {"password": 1, "phone menu": 1, "code": 1, "setup menu": 1, "country": 1, "number": 1, "channel": 1,
        "confirm": 1, "new code": 4}


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("stop", PROMPT_NAMES)
def test_hostile_answer_at_every_prompt(fresh, stop, kind):
    before = store_files()
    sent_before = len(fresh.network.deliveries)
    session = Session(fresh)
    try:
        drive_to(session, fresh, stop)
        seen = ""
        if kind == "eof":
            session.child.sendeof()
        else:
            if kind == "100k":
                send_long_line(session.child, 100 * 1024)
            else:
                session.child.send(HOSTILE[kind] + "\n")
            expected = AFTER[stop]
            if stop in CONVERSATION_ENDS and kind != "escape":
                expected = AUTH_FAILED
            session.child.expect(re.escape(expected), timeout=30)
            seen = session.child.before + session.child.after
            if expected != AUTH_FAILED:
                # Asked again; a hidden prompt flushes what was typed before it hides.
                pattern, hidden = ASKED_NEXT.get(stop) or next((p, h) for n, p, h in PROMPTS if n == stop)
                session.expect(pattern)
                if hidden:
                    assert wait_echo(session.child, on=False)
                session.child.sendeof()
        status, output = session.finish()
        output = seen + output
    finally:
        session.child.close(force=True)
    assert status == EXIT[stop], plain(output)[-2000:]
    if stop == "new code":
        assert "phonemfa-setup: the phone was not verified; nothing was saved" in output
    if stop in ("password", "phone menu", "code"):
        assert AUTH_FAILED in output
    assert store_files() == before
    if stop in ("password", "phone menu"):
        assert len(fresh.network.deliveries) == sent_before, "nothing is sent before a valid choice"
    if stop == "confirm":
        assert not [d for d in fresh.network.deliveries[sent_before:] if d["to"] == NEW], \
            "a text went out without the number confirmed"


# -- closed standard descriptors and umask 000 ---------------------------------------------

def as_alice(close=(), umask=None):
    alice = pwd.getpwnam("alice")

    def prepare():
        os.setgroups([])
        os.setgid(alice.pw_gid)
        os.setuid(alice.pw_uid)
        if umask is not None:
            os.umask(umask)
        for fd in close:
            os.close(fd)
    return prepare


def spawn(close=(), umask=None):
    session = Session.__new__(Session)
    session.system = None
    session.user = "alice"
    session.child = pexpect.spawn(SETUP, [], encoding="utf-8", timeout=30, env={"PATH": "/usr/bin:/bin", "TERM": "dumb"},
                                  preexec_fn=as_alice(close, umask))
    return session


@pytest.mark.parametrize("closed", [(0,), (1,), (0, 1)], ids=lambda c: "closed " + ",".join(map(str, c)))
def test_closed_stdin_or_stdout_refuses(fresh, closed):
    """glibc gives a setuid program /dev/full or /dev/null for a closed
    descriptor: not a terminal, so nothing is asked."""
    before = store_files()
    session = spawn(close=closed)
    status, output = session.finish()
    assert status == 5
    assert "phonemfa-setup: run it in a terminal" in output
    assert store_files() == before
    assert not fresh.network.ops()


def test_all_three_standard_descriptors_closed(fresh):
    before = store_files()
    session = spawn(close=(0, 1, 2))
    status, output = session.finish()
    assert status == 5 and output == ""
    assert store_files() == before
    assert not fresh.network.ops()


def reauthenticate_and_add(session, system, right_code):
    session.system = system
    session.reauthenticate()
    session.choose("Add or change the alternate phone")
    session.expect(r"Country or calling code \[United States \(\+1\)\]: ")
    session.send("44")
    session.expect(r"Phone number \(or \+country number\): ")
    session.send("7700 900123")
    session.expect(r"Verify it by 1\) text or 2\) call: ")
    session.send("1")
    session.expect(r"Verify \+44 7700900123 by text\? \[Y/n\] ")
    session.send("")
    for attempt in range(1 if right_code else 3):
        session.expect(r"Enter the code: ")
        code = system.network.last_code(NEW)
        session.send(code if right_code else ("000000" if code != "000000" else "111111"))


def assert_store_is_whole():
    for name, data in store_files().items():
        json.loads(data)  # never an error message written into a record
    for directory in (STORE, os.path.join(STORE, "state")):
        if os.path.isdir(directory):
            for name in os.listdir(directory):
                path = os.path.join(directory, name)
                if os.path.isfile(path) and name.endswith((".json", ".state")):
                    with open(path) as f:
                        json.load(f)


def test_closed_stderr_unproven_phone_saves_nothing(fresh):
    """With fd 2 closed the first file the program opens must not become
    its stderr: the messages written there must land in no record."""
    before = store_files()
    session = spawn(close=(2,))
    reauthenticate_and_add(session, fresh, right_code=False)
    status, output = session.finish()
    assert status == 4
    assert "nothing was saved" not in output, "stderr was closed: the message goes nowhere"
    assert store_files() == before
    assert_store_is_whole()


def test_closed_stderr_proven_phone_is_saved_whole(fresh):
    old = record()
    session = spawn(close=(2,))
    reauthenticate_and_add(session, fresh, right_code=True)
    session.expect("Saved.")
    session.choose("Quit")
    assert session.finish()[0] == 0
    new = record()
    assert new["phones"]["primary"] == old["phones"]["primary"]
    assert new["phones"]["alternate"]["number"] == NEW
    assert_store_is_whole()


def test_umask_000_leaves_nothing_writable(fresh):
    """The caller's umask decides nothing: the record, the state directory
    (created in this run) and every file in them are root's alone."""
    subprocess.run(["rm", "-rf", os.path.join(STORE, "state")], check=True)
    started = time.time() - 1
    session = spawn(umask=0)
    reauthenticate_and_add(session, fresh, right_code=True)
    session.expect("Saved.")
    session.choose("Quit")
    assert session.finish()[0] == 0
    assert record()["phones"]["alternate"]["number"] == NEW
    state = os.path.join(STORE, "state")
    assert os.stat(state).st_mode & 0o777 == 0o700
    for directory in (STORE, state):
        for name in os.listdir(directory):
            st = os.lstat(os.path.join(directory, name))
            if st.st_mtime < started:
                continue  # not written by this run
            assert st.st_uid == 0, name
            assert st.st_mode & 0o077 == 0 or name == "state", f"{name}: mode {st.st_mode & 0o777:o}"
    assert_store_is_whole()


# -- signals at every prompt --------------------------------------------------------------

SIGNALS = [signal.SIGINT, signal.SIGTSTP, signal.SIGQUIT, signal.SIGHUP]


def process_state(pid):
    """State, signal masks and wait channel of pid, for a failure message."""
    try:
        status = open(f"/proc/{pid}/status").read()
        wchan = open(f"/proc/{pid}/wchan").read()
    except OSError as error:
        return f"gone ({error})"
    fields = re.findall(r"^(?:State|SigPnd|ShdPnd|SigBlk|SigIgn):\s*(.*)$", status, re.M)
    return f"{fields} wchan={wchan}"


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("stop", PROMPT_NAMES)
def test_signal_at_every_prompt_restores_the_terminal(fresh, stop, sig):
    before = store_files()
    session = WrappedSession(fresh)
    try:
        drive_to(session, fresh, stop)
        os.kill(session.pid, sig)
        try:
            session.child.expect(r"CHILD-(STOPPED|ENDED) (\d+)")
        except pexpect.TIMEOUT:
            raise AssertionError(f"{sig.name} at the {stop} prompt: the wrapper never reported the client's end; "
                                 f"client {process_state(session.pid)}; wrapper {process_state(session.child.pid)}")
        kind, value = session.child.match.group(1), int(session.child.match.group(2))
        assert wait_echo(session.child, on=True, wait=5), \
            f"after {sig.name} at the {stop} prompt the terminal was left with echo off"
        if sig == signal.SIGTSTP:
            assert kind == "STOPPED" and value in (signal.SIGTSTP, signal.SIGSTOP)
        else:
            assert kind == "ENDED" and os.WIFSIGNALED(value) and os.WTERMSIG(value) == sig, (kind, value)
        assert store_files() == before
    finally:
        session.close()
    assert store_files() == before
