"""The host manifest (run-sandboxed's proof that the end-to-end suite
changed nothing) must not count what comes and goes on a live server:
people's SSH sessions and the machine's own sshd are not the suite's."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import host_manifest  # noqa: E402


def sshd_like(*args):
    """A process whose argv[0] is sshd, as a live server's sessions are."""
    return subprocess.Popen(["bash", "-c", " ".join(["exec -a sshd sleep 60", *args])])


def wait_for_sshd(process):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(f"/proc/{process.pid}/cmdline", "rb") as f:
            if f.read().split(b"\0")[0] == b"sshd":
                return
        time.sleep(0.01)
    raise AssertionError("the stand-in sshd did not start")


def test_other_sshd_processes_are_not_counted():
    before = dict(host_manifest.entries())
    session = sshd_like()
    try:
        wait_for_sshd(session)
        assert dict(host_manifest.entries()) == before
    finally:
        session.kill()
        session.wait()


def test_a_leftover_test_sshd_is_counted():
    """One on the tests' port (2222) in this namespace outlived a sandbox."""
    leftover = sshd_like("2222")
    try:
        wait_for_sshd(leftover)
        assert host_manifest.test_sshds() == [str(leftover.pid)]
    finally:
        leftover.kill()
        leftover.wait()
