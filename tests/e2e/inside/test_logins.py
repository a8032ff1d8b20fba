"""Every real login path, every outcome: what the user saw, what the client
concluded, and the line the module logged."""
import socket

import pytest

from clients import KEY_CLIENTS, PASSWORD_CLIENTS
from system import PASSWORD

MENU = "Verify your identity:\n  1) Text +X XXXXXXXX17\n  2) Call +X XXXXXXXX17\n  3) Text +X XXXXXXXX19 (alternate)"


def login(system, client, user_name="alice", **behaviour):
    from clients import User
    password = behaviour.pop("password") if "password" in behaviour else PASSWORD[user_name]
    user = User(system, password, **behaviour)
    mark = system.syslog.mark()
    ok = client.login(system, user_name, user)
    return ok, user, system.syslog.outcomes(mark, client.service, user_name), mark


def outcome(lines):
    assert len(lines) == 1, f"expected one outcome line, got {lines}"
    return dict(pair.split("=", 1) for pair in lines[0].replace('"', "").replace("+X ", "+X_").split())


def test_success_by_text(system, client):
    ok, user, lines, _ = login(system, client, choices=["1"])
    assert ok
    assert MENU in user.screen()
    assert "Code sent to +X XXXXXXXX17." in user.screen()
    result = outcome(lines)
    assert (result["outcome"], result["reason"], result["channel"]) == ("success", "approved", "text")
    assert result["service"] == client.service


def test_success_by_call_with_a_code(system, client):
    ok, user, lines, _ = login(system, client, choices=["2"])
    assert ok
    assert "Calling +X XXXXXXXX17. Enter the code you hear" in user.screen()
    assert outcome(lines)["channel"] == "call"


def test_success_by_call_approved_with_hash(system, client):
    system.network.call_mode = "approval"
    ok, user, lines, _ = login(system, client, choices=["2"])
    assert ok
    assert "Answer it and press # to approve" in user.screen()
    assert outcome(lines)["reason"] == "approved"


def test_the_alternate_phone_from_the_menu(system, client):
    ok, user, lines, _ = login(system, client, choices=["3"])
    assert ok
    assert "Code sent to +X XXXXXXXX19." in user.screen()
    assert outcome(lines)["phone"] == "+X_XXXXXXXX19"


def test_wrong_code_then_right(system, client):
    ok, user, lines, _ = login(system, client, choices=["1"], wrong_codes=1)
    assert ok
    assert "Wrong code, 2 attempts left." in user.screen()
    assert outcome(lines)["outcome"] == "success"


def test_attempts_exhausted(system, client):
    ok, user, lines, _ = login(system, client, choices=["1"], wrong_codes=3)
    assert not ok
    assert "Wrong code, 1 attempt left." in user.screen()
    assert "Too many wrong codes." in user.screen(), "shown even though sudo passes PAM_SILENT"
    result = outcome(lines)
    assert (result["outcome"], result["reason"]) == ("denied", "wrong_code")


@pytest.mark.parametrize("client", PASSWORD_CLIENTS, indirect=True, ids=lambda c: c.name)
def test_wrong_password_sends_nothing(system, client):
    ok, user, lines, mark = login(system, client, password="not-the-password")
    assert not ok
    assert not [p for p in user.seen if "Choose" in p], "the menu must not follow a wrong password"
    assert not system.network.ops(), "no text or call may be sent after a wrong password"
    assert lines == []
    assert any("pam_unix(" in line and "authentication failure" in line for line in system.syslog.since(mark))


@pytest.mark.parametrize("client", KEY_CLIENTS, indirect=True, ids=lambda c: c.name)
def test_no_key_sends_nothing(system, client):
    """Key-then-phone asks no password: without the key nothing is asked or sent."""
    from clients import User
    user = User(system, "unused")
    with socket.create_connection(("127.0.0.1", 2222)):
        pass
    import paramiko
    transport = paramiko.Transport(("127.0.0.1", 2222))
    transport.start_client(timeout=10)
    with pytest.raises(paramiko.BadAuthenticationType):
        transport.auth_interactive("alice", lambda title, instructions, prompts: [user(p) for p, _ in prompts])
    transport.close()
    assert not user.seen and not system.network.ops()


def test_service_down_failmode_secure(system, client):
    system.configure(urls=["https://127.0.0.1:1"])
    ok, user, lines, _ = login(system, client, choices=["1"])
    assert not ok
    assert "Phone verification is not available right now. Try again later." in user.screen()
    result = outcome(lines)
    assert (result["outcome"], result["reason"]) == ("denied", "service_unavailable")


def test_service_down_failmode_safe(system, client):
    """phonemfad decides, about the service it could not reach itself: what
    the user does to su or sudo changes nothing of that, so every client
    gets the same answer to a real outage."""
    system.configure(urls=["https://127.0.0.1:1"], failmode="safe")
    mark = system.syslog.mark()
    ok, user, lines, _ = login(system, client, choices=["1"])
    result = outcome(lines)
    assert ok, "failmode safe lets the user in on the first factor alone"
    assert (result["outcome"], result["reason"]) == ("ignored", "service_unavailable_failmode_safe")
    assert any("FAILMODE SAFE: verification service unavailable, user alice passes" in line
               for line in system.syslog.since(mark))


def test_unenrolled_user_denied(system, client):
    ok, user, lines, _ = login(system, client, user_name="bob")
    assert not ok
    assert not [p for p in user.seen if "Choose" in p]
    assert "No phone is registered for your account. Contact your administrator." in user.screen()
    result = outcome(lines)
    assert (result["outcome"], result["reason"]) == ("denied", "not_enrolled")
    assert not system.network.ops()


def test_unenrolled_user_ignored_when_configured(system, client):
    system.configure(unenrolled="ignore")
    ok, user, lines, _ = login(system, client, user_name="bob")
    assert ok, "unenrolled = ignore leaves the decision to the rest of the stack"
    result = outcome(lines)
    assert (result["outcome"], result["reason"]) == ("ignored", "not_enrolled")
