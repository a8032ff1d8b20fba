"""What the phone-directory tests (LDAP, Entra ID) share: a login taken to
its menu and through a text code, the outage a down directory must be, and
phonemfa-setup run against the test's phonemfad."""
import os
import subprocess

from harness import BUILD, PAM_AUTHINFO_UNAVAIL

UNAVAILABLE = "Phone verification is not available right now. Try again later."
SETUP = os.path.join(BUILD, "phonemfa-setup")


def start(env, user="alice"):
    """A login up to its menu: (login, the menu prompt)."""
    login = env.login(user=user)
    return login, login.prompt()


def finish_with_code(env, login, choice, number):
    """Choose `choice`, type the code `number` received; the PAM result."""
    login.answer(choice)
    login.prompt()
    login.answer(env.network.last_code(number))
    return login.finish()


def assert_unavailable(login, reason="directory_unavailable"):
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert UNAVAILABLE in login.messages()
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("denied", reason)


def run_setup(env, *args):
    env.start_daemon()
    return subprocess.run([SETUP, "--socket", env.socket, *args], capture_output=True, text=True, timeout=60)
