"""The bash completion of phonemfa-setup: it loads, is registered for the
program, and offers what phonemfa-setup takes at each place. Run by
`make check-completion`."""
import os
import shlex
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPLETION = os.path.join(ROOT, "conf", "bash-completion", "phonemfa-setup")


def bash(script):
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", f"source {COMPLETION}\n{script}"],
                            capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def candidates(line):
    """What completing the last word of line offers (line as typed)."""
    words = line.split(" ")
    quoted = " ".join(shlex.quote(word) for word in words)
    script = (f"COMP_WORDS=({quoted}); "
              f"COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT={len(line)}; "
              "_phonemfa_setup; printf '%s\\n' \"${COMPREPLY[@]}\"")
    return sorted(filter(None, bash(script).splitlines()))


def test_registered_for_phonemfa_setup():
    assert bash("complete -p phonemfa-setup").strip() == "complete -F _phonemfa_setup phonemfa-setup"


@pytest.mark.parametrize("line,expected", [
    ("phonemfa-setup ", ["--help", "--socket", "--user", "--version", "check", "users"]),
    ("phonemfa-setup --", ["--help", "--socket", "--user", "--version"]),
    ("phonemfa-setup --user root ", ["add", "forget", "language", "list", "lockout", "preferred", "remove",
                                     "reset"]),
    ("phonemfa-setup --user root la", ["language"]),
    ("phonemfa-setup --user root language ", ["de", "default", "en", "ja"]),
    ("phonemfa-setup --user root language ja ", []),
    ("phonemfa-setup --user root re", ["remove", "reset"]),
    ("phonemfa-setup --user root add ", ["alternate", "office", "primary"]),
    ("phonemfa-setup --user root add alternate +447700900123 --", ["--channels", "--no-verify", "--verify"]),
    ("phonemfa-setup --user root add alternate +447700900123 --verify ", ["call", "text"]),
    ("phonemfa-setup --user root add alternate +447700900123 --channels ", ["call", "text", "text,call"]),
    ("phonemfa-setup --user root remove ", ["--yes", "alternate", "office", "primary"]),
    ("phonemfa-setup --user root preferred primary ", ["call", "text"]),
    ("phonemfa-setup --user root list ", ["--json"]),
    ("phonemfa-setup --user root lockout ", ["--clear"]),
    ("phonemfa-setup --user ro", ["root"]),
])
def test_candidates(line, expected):
    assert candidates(line) == expected


def test_verify_after_an_equals_sign():
    # bash splits "--verify=" into "--verify" "=" "": as it would pass them.
    script = ("COMP_WORDS=(phonemfa-setup --user root add alternate +447700900123 --verify = t); COMP_CWORD=8; "
              "_phonemfa_setup; printf '%s\\n' \"${COMPREPLY[@]}\"")
    assert bash(script).split() == ["text"]


def test_installed_where_bash_completion_looks():
    plan = subprocess.run(["make", "-n", "-C", ROOT, "install", "DESTDIR=/tmp/phonemfa-dest", "PREFIX=/usr",
                           "PAMDIR=/tmp/phonemfa-dest/pam"], capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    commands = " ".join(plan.stdout.replace("\\\n", " ").split())
    assert ("install -m 0644 conf/bash-completion/phonemfa-setup "
            "/tmp/phonemfa-dest/usr/share/bash-completion/completions/phonemfa-setup") in commands
