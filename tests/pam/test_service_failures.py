"""What happens when the verification service is down, slow, lies, or
refuses: failmode secure denies, failmode safe lets the login through
without a second factor (and says so loudly), refusals always deny."""
import socket

import pytest

from harness import PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_IGNORE, PAM_SUCCESS

PRIMARY = "+15555550117"
UNAVAILABLE_MESSAGE = "Phone verification is not available right now. Try again later."


def closed_port_url():
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"https://127.0.0.1:{port}"


def start_login(env, choice="1"):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer(choice)
    return login


def assert_failmode_secure(login, reason="service_unavailable"):
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert UNAVAILABLE_MESSAGE in login.messages()
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("denied", reason)
    assert any(f"verification service error ({reason})" in line for line in login.logs())


def test_service_down_failmode_secure(env):
    env.set_config(urls=[closed_port_url()])
    login = start_login(env)
    assert_failmode_secure(login)
    assert any("service unreachable: https://127.0.0.1:" in line for line in login.logs())


def test_service_down_failmode_safe(env):
    env.set_config(urls=[closed_port_url()], extra='login: { failmode = "safe"; };')
    login = start_login(env)
    login.finish()
    assert login.module_result() == PAM_IGNORE, "failmode safe never returns PAM_SUCCESS"
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("ignored", "service_unavailable_failmode_safe")
    assert any(line.startswith("phonemfad: FAILMODE SAFE: verification service "
                               "unavailable, user alice passes") for line in login.logs())


def test_failover_to_the_second_url(env):
    env.set_config(urls=[closed_port_url(), env.service.url()])
    login = start_login(env)
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    assert any("; trying the next URL" in line for line in login.logs())
    assert len(env.requests("start")) == 1


def test_untrusted_certificate_denies(env):
    env.network.add_fault({"kind": "wrong_cert", "count": 10})
    login = start_login(env)
    assert_failmode_secure(login)
    # curl's whole diagnostic, not cut mid-word at 256 bytes.
    whole = ("SSL peer certificate or SSH remote key was not OK: "
             "SSL certificate problem: unable to get local issuer certificate")
    assert any(line.endswith(whole) and "verification service error (service_unavailable)" in line
               for line in login.logs()), login.logs()
    assert not any("[truncated]" in line for line in login.logs())
    assert not env.requests(), "no request may be sent over an untrusted connection"


def test_untrusted_certificate_fails_over(env):
    env.network.add_fault({"kind": "wrong_cert", "count": 1})
    env.set_config(urls=[env.service.url(), env.service.url() + "/"])
    login = start_login(env)
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS


def test_ca_file_that_does_not_sign_the_service(env):
    env.set_config(text=open(env.config_path).read().replace(
        env.service.ca_file, env.service.pki["rogue_cert"]))
    login = start_login(env)
    assert_failmode_secure(login)


@pytest.mark.parametrize("op", ["start", "check"])
def test_server_error_denies(env, op):
    env.network.add_fault({"kind": "status", "status": 503, "op": op})
    login = start_login(env)
    if op == "check":
        login.prompt()
        login.answer(env.network.last_code(PRIMARY))
    assert_failmode_secure(login)


@pytest.mark.parametrize("kind", ["malformed", "oversized"])
def test_nonsense_answers_deny(env, kind):
    env.network.add_fault({"kind": kind, "op": "check"})
    login = start_login(env)
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert_failmode_secure(login, reason="bad_response")


def test_nonsense_after_a_start_is_never_failmode_safe(env):
    """The service took the request and answered garbage: a text may be on
    its way, so the outage is not one failmode "safe" may answer."""
    env.set_config(extra='login: { failmode = "safe"; };')
    env.network.add_fault({"kind": "malformed", "op": "start"})
    login = start_login(env)
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert any("FAILMODE SAFE not applied: a verification request may already have reached the service "
               "in this login" in line for line in login.logs())
    assert login.outcome()["reason"] == "bad_response"


BAD_BODIES = [
    ({"id": 5, "mode": "code"}, 201, "application/json"),
    ({"id": "abc", "mode": "sms"}, 201, "application/json"),
    ({"id": "../../admin", "mode": "code"}, 201, "application/json"),
    ({"mode": "code"}, 201, "application/json"),
    ([1, 2, 3], 201, "application/json"),
    ({"id": "abc", "mode": "code", "expires_in": "soon"}, 201, "application/json"),
    ({"id": "abc", "mode": "code"}, 201, "text/html"),
    ({"id": "abc", "mode": "code"}, 200, "application/json"),
    ({"id": "abc", "mode": "code"}, 302, "application/json"),
    ("<html>proxy error</html>", 400, "text/html"),
]


@pytest.mark.parametrize("body,status,content_type", BAD_BODIES)
def test_unexpected_start_answers_deny(env, body, status, content_type):
    env.network.add_fault({"kind": "body", "op": "start", "body": body, "status": status,
                           "content_type": content_type})
    login = start_login(env)
    assert_failmode_secure(login, reason="bad_response")


def test_unexpected_check_status_value_denies(env):
    env.network.add_fault({"kind": "body", "op": "check", "body": {"status": True}, "status": 200})
    login = start_login(env)
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert_failmode_secure(login, reason="bad_response")


def test_dropped_connection_on_check_denies(env):
    # libcurl repeats a request once on a reused connection that died, so
    # the check must fail twice to fail.
    env.network.add_fault({"kind": "drop", "op": "check", "count": 2})
    login = start_login(env)
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert_failmode_secure(login)


def test_dropped_connection_on_start_is_never_repeated(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("2")
    login.prompt()
    login.answer("")  # back to the menu: the connection is now a reused one
    env.network.add_fault({"kind": "drop", "op": "start"})
    login.prompt()
    login.answer("2")
    assert_failmode_secure(login)
    assert len(env.requests("start")) == 2, "the dropped call request must not be repeated"


def test_hanging_service_times_out_and_is_not_asked_again(env):
    env.set_config(extra="", text=open(env.config_path).read().replace(
        "request_timeout = 4", "request_timeout = 1"))
    env.network.add_fault({"kind": "hang", "op": "start", "seconds": 5})
    login = start_login(env, choice="2")
    assert_failmode_secure(login)
    assert any("no answer in time after the request was sent (not repeated)" in line
               for line in login.logs())
    assert len(env.requests("start")) == 1, "a call is never placed twice"


def test_slow_service_within_the_timeout_succeeds(env):
    env.network.add_fault({"kind": "delay", "op": "start", "seconds": 0.5})
    login = start_login(env)
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS


# -- refusals deny whatever the failmode -----------------------------------

@pytest.mark.parametrize("failmode", ["secure", "safe"])
def test_rate_limited_denies_in_both_failmodes(env, failmode):
    env.set_config(extra=f'login: {{ failmode = "{failmode}"; }};')
    env.network.add_fault({"kind": "status", "status": 429, "op": "start"})
    login = start_login(env)
    assert login.finish() == PAM_AUTH_ERR
    assert ("Too many verification attempts for this phone. Wait a few minutes and try again."
            in login.messages())
    assert login.outcome()["reason"] == "rate_limited"


@pytest.mark.parametrize("failmode", ["secure", "safe"])
def test_rejected_credentials_deny_in_both_failmodes(env, failmode):
    env.set_config(extra=f'login: {{ failmode = "{failmode}"; }};')
    env.write("etc/service.token", "not-the-token\n", 0o600)
    login = start_login(env)
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "service_auth_failed"
    assert any("service refused with HTTP 401 unauthorized" in line for line in login.logs())


def test_invalid_number_denies(env):
    env.network.number_kinds[PRIMARY] = "invalid"
    login = start_login(env)
    assert login.finish() == PAM_AUTH_ERR
    assert "This phone number cannot be used for verification. Contact your administrator." in login.messages()
    assert login.outcome()["reason"] == "invalid_number"


def test_landline_offers_a_call_instead(env):
    env.network.number_kinds[PRIMARY] = "landline"
    login = start_login(env, choice="1")
    menu = login.prompt()
    assert menu["text"].startswith("That phone cannot receive texts. Call it instead (now the default).\n")
    assert "Text +X XXXXXXXX17" not in menu["text"], "not offered again in this login"
    login.answer("")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS


# -- what a service says reaches the log only sanitised ------------------------
HOSTILE = "\x1b]0;owned\x07\x1b[2J"


@pytest.mark.parametrize("fault", [
    {"kind": "body", "op": "start", "status": 201, "content_type": "text/html" + HOSTILE,
     "body": {"id": "abc", "mode": "code"}},
    {"kind": "body", "op": "start", "status": 201, "body": {"id": "abc", "mode": HOSTILE}},
    {"kind": "body", "op": "start", "status": 201, "body": '{"id": "abc", "mode": "code"' + HOSTILE},
    {"kind": "body", "op": "start", "status": 400,
     "body": {"error": {"code": "invalid_number", "message": "call +15555550117 now" + HOSTILE}}},
], ids=["content-type", "unknown-value", "json-error-text", "error-message"])
def test_service_text_is_sanitised_before_it_is_logged(env, fault):
    """Escape sequences a service (or whoever sits on its path) puts in a
    header, a value or a broken body must not reach syslog or a terminal,
    nor a full phone number."""
    env.network.add_fault(fault)
    login = start_login(env)
    login.finish()
    lines = "\n".join(login.logs() + login.messages())
    assert "\x1b" not in lines and "\x07" not in lines, lines
    assert "+15555550117" not in lines
    assert any("verification service error" in line and "?" in line for line in login.logs()), lines
