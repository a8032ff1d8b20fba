"""A Japanese user's whole login through the real programs: sshd with
OpenSSH's client and paramiko, su and sudo. The menu, every prompt and every
closing message are asserted as exact Japanese text (taken from the shipped
ja.po, and for the menu also written out here), so the UTF-8 went through
sshd's keyboard-interactive, the pty and both clients intact; the text and
the call are asked of the service in Japanese too."""
import json
import os
import re
import threading
import time

import pytest

from catalogue import Catalogue
from clients import Paramiko, Ssh, Su, Sudo, User
from system import PASSWORD

JA = Catalogue("ja")
CAROL_PHONE = "+15555550131"
CLIENTS = [Paramiko(), Ssh(), Su(), Sudo()]

# Written out once by hand, as the user sees it: a change of ja.po that
# touches the menu is read here by a reviewer too.
MENU = ("本人確認を行います:\n"
        "  1) +X XXXXXXXX17 に SMS を送信\n"
        "  2) +X XXXXXXXX17 に電話をかける\n"
        "  3) +X XXXXXXXX19 に SMS を送信（代替の電話）\n"
        "  4) +X XXXXXXXX19 に電話をかける（代替の電話）\n"
        "番号を選択してください 1-4 [1]:")


@pytest.fixture
def japanese(system):
    """alice reads Japanese (her record says so); everyone else the
    administrator's default."""
    system.enroll("alice", language="ja")
    yield
    system.enroll("alice")


def login(system, client, user_name="alice", **behaviour):
    user = User(system, PASSWORD[user_name], catalogue=JA, **behaviour)
    mark = system.syslog.mark()
    ok = client.login(system, user_name, user)
    return ok, user, system.syslog.outcomes(mark, client.service, user_name)


def outcome(lines):
    assert len(lines) == 1, f"expected one outcome line, got {lines}"
    return dict(pair.split("=", 1) for pair in lines[0].replace('"', "").replace("+X ", "+X_").split())


def assert_clean(user):
    """No replacement characters, no question marks for characters a client
    could not show, no escapes a client makes of bytes it could not show:
    the UTF-8 arrived as sent."""
    screen = user.screen()
    assert "\ufffd" not in screen and "\\3" not in screen and "??" not in screen, screen


def closing(client, user):
    """The screen, where a closing message is read. OpenSSH's ssh (9.2)
    prints the text of a keyboard-interactive round that asks nothing (sshd
    sends the messages after the last answer that way) through its log
    function, which escapes every byte outside printable ASCII as octal
    (\\343\\201\\256): that is the client's choice for such text,
    in English as in Japanese; prompts are printed as sent. Undone here, the
    bytes must be exactly the Japanese sent, and nothing else may be
    escaped."""
    screen = user.screen()
    if client.name != "ssh":
        assert_clean(user)
        return screen
    raw = screen.encode("utf-8")
    decoded = re.sub(rb"\\([0-3][0-7]{2})", lambda m: bytes([int(m.group(1), 8)]), raw).decode("utf-8")
    assert "\ufffd" not in decoded and "??" not in decoded, decoded
    return decoded


def expected_menu():
    return (JA.text("Verify your identity:") + "\n"
            + "  1) " + JA.text("Text %s") % "+X XXXXXXXX17" + "\n"
            + "  2) " + JA.text("Call %s") % "+X XXXXXXXX17" + "\n"
            + "  3) " + JA.text("Text %s (alternate)") % "+X XXXXXXXX19" + "\n"
            + "  4) " + JA.text("Call %s (alternate)") % "+X XXXXXXXX19" + "\n"
            + JA.text("Choose 1-%zu [%zu]: ").replace("%zu", "4", 1).replace("%zu", "1", 1))


@pytest.mark.parametrize("client", CLIENTS, indirect=True, ids=lambda c: c.name)
def test_the_whole_login_in_japanese(system, client, japanese):
    ok, user, lines = login(system, client, choices=["1"])
    assert ok, user.screen()
    screen = user.screen()
    assert MENU in screen
    assert expected_menu().rstrip() == MENU
    assert (JA.text("Code sent to %s. Enter the code (or press Enter to go back): ") % "+X XXXXXXXX17").rstrip() \
        in screen
    assert "Verify your identity" not in screen and "Enter the code" not in screen, "nothing left in English"
    assert_clean(user)
    result = outcome(lines)
    assert (result["outcome"], result["reason"]) == ("success", "approved")
    assert [r["body"].get("locale") for r in system.network.ops("start")] == ["ja"]


@pytest.mark.parametrize("client", CLIENTS, indirect=True, ids=lambda c: c.name)
def test_a_call_approved_with_hash_in_japanese(system, client, japanese):
    system.network.call_mode = "approval"
    ok, user, lines = login(system, client, choices=["2"])
    assert ok, user.screen()
    assert (JA.text("Calling %s. Answer it and press # to approve, then press Enter here: ")
            % "+X XXXXXXXX17").rstrip() in user.screen()
    assert_clean(user)
    assert [r["body"] for r in system.network.ops("start")] == [
        {"user": "alice", "to": "+15555550117", "channel": "call", "locale": "ja"}]


@pytest.mark.parametrize("client", CLIENTS, indirect=True, ids=lambda c: c.name)
def test_wrong_codes_counted_and_refused_in_japanese(system, client, japanese):
    ok, user, lines = login(system, client, choices=["1"], wrong_codes=3)
    assert not ok
    screen = user.screen()
    for left in (2, 1):
        wrong = JA.plural_text("Wrong code, %u attempt left. Enter the code (or press Enter to go back): ",
                               "Wrong code, %u attempts left. Enter the code (or press Enter to go back): ", left)
        assert (wrong % left).rstrip() in screen
    assert JA.text("Too many wrong codes.") in closing(client, user)
    assert outcome(lines)["reason"] == "wrong_code"


@pytest.mark.parametrize("client", CLIENTS, indirect=True, ids=lambda c: c.name)
def test_a_declined_call_is_told_in_japanese(system, client, japanese):
    system.network.call_mode = "approval"
    ok, user, lines = login(system, client, choices=["2"], call_action="decline")
    assert not ok
    assert JA.text("The call was declined.") in closing(client, user)
    assert outcome(lines)["reason"] == "call_declined"


@pytest.mark.parametrize("client", CLIENTS, indirect=True, ids=lambda c: c.name)
def test_an_outage_is_told_in_japanese(system, client, japanese):
    system.configure(urls=["https://127.0.0.1:1"])
    ok, user, lines = login(system, client, choices=["1"])
    assert not ok
    assert JA.text("Phone verification is not available right now. Try again later.") in closing(client, user)
    assert outcome(lines)["reason"] == "service_unavailable"


@pytest.mark.parametrize("client", CLIENTS, indirect=True, ids=lambda c: c.name)
def test_no_valid_choice_is_told_in_japanese(system, client, japanese):
    ok, user, lines = login(system, client, choices=["9", "9", "9"])
    assert not ok
    screen = user.screen()
    assert JA.text("Please enter a number from 1 to %zu.").replace("%zu", "4") in screen
    assert JA.text("No valid choice was made.") in closing(client, user)
    assert not system.network.ops()


@pytest.mark.parametrize("client", CLIENTS, indirect=True, ids=lambda c: c.name)
def test_a_locked_out_user_is_told_in_japanese(system, client, japanese):
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
    state = {"version": 1, "failures": [], "locked_until": until}
    os.makedirs("/var/lib/phonemfa/state", mode=0o700, exist_ok=True)
    with open("/var/lib/phonemfa/state/alice.state", "w") as f:
        json.dump(state, f)
    os.chmod("/var/lib/phonemfa/state/alice.state", 0o600)
    ok, user, lines = login(system, client, choices=[])
    assert not ok
    minutes = JA.plural_text("Too many failed verifications. Try again in %ld minute.",
                             "Too many failed verifications. Try again in %ld minutes.", 10)
    assert minutes.split("%ld")[0] in closing(client, user), user.screen()
    assert outcome(lines)["reason"] == "locked_out"


@pytest.mark.parametrize("client", CLIENTS, indirect=True, ids=lambda c: c.name)
def test_the_default_language_tells_an_unenrolled_user(system, client):
    system.configure(login_extra='locale = "ja";')
    ok, user, lines = login(system, client, user_name="bob")
    assert not ok
    assert JA.text("No phone is registered for your account. Contact your administrator.") in closing(client, user)
    assert outcome(lines)["reason"] == "not_enrolled"


@pytest.mark.parametrize("client", [Paramiko(), Su()], indirect=True, ids=lambda c: c.name)
def test_japanese_and_english_users_at_once(system, client, japanese):
    """Two logins in the same phonemfad at the same time, each in its own
    language."""
    results = {}
    system.enroll("carol", phones={"primary": CAROL_PHONE})

    def alice():
        results["alice"] = login(system, client, choices=["1"])

    carol = User(system, PASSWORD["carol"], choices=["1"], phones={"1": CAROL_PHONE})
    thread = threading.Thread(target=alice)
    thread.start()
    try:
        carol_ok = client.login(system, "carol", carol)
    finally:
        thread.join()
        system.enroll("carol")
    ok, user, _ = results["alice"]
    assert ok and carol_ok, (user.screen(), carol.screen())
    assert JA.text("Verify your identity:") in user.screen()
    assert "Verify your identity:" in carol.screen()
    assert JA.text("Verify your identity:") not in carol.screen()
