import os
import shutil
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clients import CLIENTS  # noqa: E402
from system import System  # noqa: E402


# A run started in the background of a non-interactive shell (as CI may
# start make check) inherits SIGINT and SIGQUIT ignored, and an ignored
# signal stays ignored across exec: every client the tests start would
# ignore the Ctrl-C and Ctrl-\ the signal tests send, as a user's own
# terminal never does. Put them back as a login shell has them.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if signal.getsignal(signal.SIGQUIT) == signal.SIG_IGN:
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def clear_state():
    """Each test starts with no lockout and no texts counted: the abuse
    controls are on by default and count every login of the suite."""
    shutil.rmtree("/var/lib/phonemfa/state", ignore_errors=True)


@pytest.fixture(scope="session")
def system():
    sandbox = System()
    for service in ("sudo", "sudo-i", "su", "su-l", "login"):
        sandbox.install_pam(service)
    yield sandbox
    sandbox.close()


@pytest.fixture(params=CLIENTS, ids=lambda client: client.name)
def client(request, system):
    """A real client, with sshd set up the way it needs."""
    client = request.param
    if client.sshd_mode is not None and getattr(system, "sshd_mode", None) != client.sshd_mode:
        if client.sshd_mode == "key":
            system.install_pam("sshd", "sshd-key-then-phone")
            system.start_sshd("phonemfa-key-then-phone.conf")
        else:
            system.install_pam("sshd")
            system.start_sshd("phonemfa.conf")
        system.sshd_mode = client.sshd_mode
    system.settle()
    system.network.reset()
    system.configure()
    clear_state()
    yield client
    system.network.reset()
    system.configure()


@pytest.fixture
def fresh(system):
    """A clean start for phonemfa-setup tests: alice enrolled as usual, bob
    not, the stock configuration; restored afterwards."""
    system.settle()
    system.network.reset()
    system.configure()
    clear_state()
    system.enroll("alice")
    if os.path.exists("/var/lib/phonemfa/bob.json"):
        os.remove("/var/lib/phonemfa/bob.json")
    yield system
    system.enroll("alice")
    if os.path.exists("/var/lib/phonemfa/bob.json"):
        os.remove("/var/lib/phonemfa/bob.json")
    system.configure()
