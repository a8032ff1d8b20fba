"""pam_phonemfa with service.provider = "twilio", against the Twilio fake.
Every request the module sends is validated against Twilio's OpenAPI spec
(the twilio_env fixture fails the test on any violation)."""
import json
import os
import re
import subprocess
from urllib.parse import quote

import pytest

from harness import (BUILD, IGNORE_MARKER, MODULE, PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR, PAM_SUCCESS,
                     STACK)

PRIMARY = "+15555550117"
OFFICE = "+15555550123"
UK = "+447700900123"


def menu_and_choose(env, choice="1", **login_args):
    login = env.login(**login_args)
    login.prompt()
    login.answer(choice)
    return login


def wrong_code(env, number):
    return "000000" if env.network.last_code(number) != "000000" else "111111"


def starts(env):
    return env.requests("start")


def test_text_by_sms(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    login = menu_and_choose(env, "1")
    assert login.prompt()["text"].startswith("Code sent to +X XXXXXXXX17.")
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    assert starts(env)[0]["raw"] == "To=%2B15555550117&Channel=sms", "a '+' must arrive as %2B"
    check = env.requests("check")[0]
    assert check["operation"] == "CreateVerificationCheck"
    assert set(check["body"]) == {"VerificationSid"}, "checked by VerificationSid, not To"
    assert login.outcome()["reason"] == "approved"


def test_call_dials_the_office_extension(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY, "office": (OFFICE, "4321")})
    login = menu_and_choose(env, "3")
    assert login.prompt()["text"].startswith("Calling +X XXXXXXXX23. Enter the code you hear")
    login.answer(env.network.last_code(OFFICE))
    assert login.finish() == PAM_SUCCESS
    assert starts(env)[0]["raw"] == "To=%2B15555550123&Channel=call&SendDigits=ww4321"
    assert env.network.deliveries[-1]["extension"] == "4321"


@pytest.mark.parametrize("choice,channel", [("1", "sms"), ("2", "call")])
def test_locale_is_sent(twilio_env, choice, channel):
    env = twilio_env
    env.enroll("alice", {"primary": UK})
    env.set_config(extra='login: { locale = "ja"; };')
    login = menu_and_choose(env, choice)
    login.prompt()
    login.answer(env.network.last_code(UK))
    assert login.finish() == PAM_SUCCESS
    assert starts(env)[0]["body"] == {"To": UK, "Channel": channel, "Locale": "ja"}


def test_wrong_code_is_pending_then_right(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    login = menu_and_choose(env, "2")
    login.prompt()
    login.answer(wrong_code(env, PRIMARY))
    assert login.prompt()["text"].startswith("Wrong code, 2 attempts left.")
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS


def test_overlong_code_is_wrong_without_asking_twilio(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    login = menu_and_choose(env)
    login.prompt()
    login.answer("12345678901")
    assert login.prompt()["text"].startswith("Wrong code, 2 attempts left.")
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    assert len(env.requests("check")) == 1


def assert_cancelled(env, count=1):
    cancels = env.requests("cancel")
    assert len(cancels) == count
    assert all(c["raw"] == "Status=canceled" and c["operation"] == "UpdateVerification" for c in cancels)
    assert all(v["status"] == "canceled" for v in env.twilio.verifications.values()
               if v["sid"] in {c["path"].rsplit("/", 1)[1] for c in cancels})


def test_attempts_exhausted_cancels(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    login = menu_and_choose(env)
    for _ in range(3):
        login.prompt()
        login.answer(wrong_code(env, PRIMARY))
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "wrong_code"
    assert_cancelled(env)


@pytest.mark.parametrize("choice", ["1", "2"])
def test_going_back_to_the_menu_cancels(twilio_env, choice):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    login = menu_and_choose(env, choice)
    login.prompt()
    login.answer("")
    login.prompt()
    assert_cancelled(env)
    assert login.finish() == PAM_CONV_ERR


def test_giving_up_at_the_code_prompt_cancels(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    login = menu_and_choose(env)
    login.prompt()
    assert login.finish() == PAM_CONV_ERR
    assert_cancelled(env)


def test_cancelling_keeps_twilio_send_limit_free(twilio_env):
    """Six texts to one number in a row would hit 60203; cancelled ones do not count."""
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    # Our own lockout would stop this login first: it is not what is tested.
    env.set_config(extra="login: { verifications_per_login = 7; }; lockout: { failures = 0; };")
    login = env.login()
    for _ in range(6):
        login.prompt()
        login.answer("1")
        login.prompt()
        login.answer("")
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    assert len(starts(env)) == 7


def test_expired_verification_404_goes_back_to_the_menu(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    login = menu_and_choose(env)
    login.prompt()
    for v in env.twilio.verifications.values():
        v["created"] -= env.twilio.ttl + 1
    login.answer(env.network.last_code(PRIMARY))
    assert login.prompt()["text"].startswith("The code has expired. Choose a phone to get a new one.")
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS


def test_too_many_checks_60202(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="login: { code_attempts = 10; }; lockout: { failures = 0; };")
    login = menu_and_choose(env)
    for _ in range(6):
        login.prompt()
        login.answer(wrong_code(env, PRIMARY))
    assert login.finish() == PAM_AUTH_ERR
    assert ("Too many verification attempts for this phone. Wait a few minutes and try again."
            in login.messages())
    assert login.outcome()["reason"] == "rate_limited"
    assert any("Twilio 60202 (HTTP 429): too many code checks" in line for line in login.logs())


def twilio_error(code, status, headers=None):
    return {"kind": "body", "op": "start", "status": status, "headers": headers or {},
            "body": {"code": code, "message": "injected", "more_info": f"https://www.twilio.com/docs/errors/{code}",
                     "status": status}}


@pytest.mark.parametrize("code", [60203, 60212])
def test_too_many_sends(twilio_env, code):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.add_fault(twilio_error(code, 429))
    login = menu_and_choose(env)
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "rate_limited"
    assert any(f"Twilio {code} (HTTP 429)" in line for line in login.logs())


def test_60203_from_real_send_limit(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.twilio.sends[PRIMARY] = [__import__("time").monotonic()] * 5
    login = menu_and_choose(env, "2")
    assert login.finish() == PAM_AUTH_ERR
    assert any("Twilio 60203 (HTTP 429): too many sends to this number" in line for line in login.logs())


def test_20429_is_retried_after_retry_after(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.add_fault(twilio_error(20429, 429, {"Retry-After": "1"}))
    login = env.login_with_code("2", PRIMARY)
    assert login.finish() == PAM_SUCCESS
    assert len(starts(env)) == 2
    assert any("Twilio 20429 too many requests: retrying in 1 s" in line for line in login.logs())


SERVICE_BUSY = "The verification service is busy. Try again in a few minutes."
ACCOUNT_WIDE = "Twilio 20429 (HTTP 429): too many requests to Twilio at once from the whole account (not this phone)"


def assert_service_busy(login):
    """20429 is a limit of the whole Twilio account: the user is not told
    their phone made too many attempts."""
    assert login.finish() == PAM_AUTH_ERR
    assert login.messages() == [SERVICE_BUSY]
    assert login.outcome()["reason"] == "service_busy"
    assert any("verification service error (service_busy): " + ACCOUNT_WIDE in line for line in login.logs())


def test_20429_retries_are_bounded(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.add_fault(dict(twilio_error(20429, 429, {"Retry-After": "0"}), count=10))
    login = menu_and_choose(env)
    assert_service_busy(login)
    assert len(starts(env)) == 3
    assert any("Twilio 20429 too many requests: retried 2 times, gave up" in line for line in login.logs())


def test_20429_with_a_long_retry_after_is_not_waited_for(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.add_fault(twilio_error(20429, 429, {"Retry-After": "120"}))
    login = menu_and_choose(env)
    assert_service_busy(login)
    assert len(starts(env)) == 1
    logs = login.logs()
    assert any("Twilio 20429 too many requests: not retried, Retry-After 120 s is over the 5 s limit" in line
               for line in logs), logs
    assert not any("retried 2 times" in line or "retrying" in line for line in logs)


def test_20429_retry_after_beyond_the_request_timeout_is_not_waited_for(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(text=open(env.config_path).read().replace("request_timeout = 4", "request_timeout = 2"))
    env.network.add_fault(twilio_error(20429, 429, {"Retry-After": "3"}))
    login = menu_and_choose(env)
    assert_service_busy(login)
    assert len(starts(env)) == 1
    assert any("Twilio 20429 too many requests: not retried, Retry-After 3 s is more than is left of "
               "service.request_timeout" in line for line in login.logs()), login.logs()


ALTERNATE = "+15555550119"
NO_TEXT_MENU = ("Verify your identity:\n  1) Call +X XXXXXXXX17\n  2) Text +X XXXXXXXX19 (alternate)\n"
                "  3) Call +X XXXXXXXX19 (alternate)\nChoose 1-3 [1]: ")


@pytest.mark.parametrize("kind,code,notice,log", [
    ("landline", 60205, "That phone cannot receive texts. Call it instead (now the default).",
     "verification service error (channel_unavailable): Twilio 60205 (HTTP 403): this landline cannot receive SMS"),
    ("fraud", 60410, "The service is not sending texts to that phone for now. Call it instead (now the default).",
     "verification service error (channel_blocked): Twilio 60410 (HTTP 403): Fraud Guard blocked SMS to this "
     "number prefix (for 12 hours); the user is offered a call"),
])
def test_texts_refused_offer_the_call_for_the_rest_of_the_login(twilio_env, kind, code, notice, log):
    """After 60205 (landline) or 60410 (Fraud Guard, SMS only) the text to
    that phone is no longer offered, its call is what Enter picks, and the
    login goes on."""
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY, "alternate": ALTERNATE}, preferred=("primary", "text"))
    env.network.number_kinds[PRIMARY] = kind
    login = menu_and_choose(env, "")
    assert login.prompt()["text"] == notice + "\n" + NO_TEXT_MENU
    login.answer("")
    assert login.prompt()["text"].startswith("Calling +X XXXXXXXX17.")
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    assert [s["body"]["Channel"] for s in starts(env)] == ["sms", "call"]
    assert login.outcome()["reason"] == "approved"
    assert login.outcome()["channel"] == "call"
    assert any(log in line for line in login.logs())


def test_texts_refused_to_a_phone_without_a_call_end_with_the_reason(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    record = __import__("json").load(open(os.path.join(env.store, "alice.json")))
    record["phones"]["primary"]["channels"] = ["text"]
    env.write_record("alice", __import__("json").dumps(record))
    env.network.number_kinds[PRIMARY] = "landline"
    login = menu_and_choose(env, "1")
    assert login.finish() == PAM_AUTH_ERR
    assert login.messages() == ["That phone cannot receive texts. Choose another phone."]
    assert login.outcome()["reason"] == "channel_unavailable"


@pytest.mark.parametrize("kind,code,advice", [
    ("blocked", 60605, "destination blocked by Verify Geo-Permissions"),
    ("sanctioned", 60238, "Twilio blocked verification creation"),
])
def test_blocked_destinations(twilio_env, kind, code, advice):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.number_kinds[PRIMARY] = kind
    login = menu_and_choose(env)
    assert login.finish() == PAM_AUTH_ERR
    assert "This phone number cannot be used for verification. Contact your administrator." in login.messages()
    assert login.outcome()["reason"] == "destination_blocked"
    assert any(f"Twilio {code} (HTTP 403): {advice}" in line for line in login.logs())


@pytest.mark.parametrize("kind,code", [("invalid", 60200), ("unreachable", 60006)])
def test_invalid_numbers(twilio_env, kind, code):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.number_kinds[PRIMARY] = kind
    login = menu_and_choose(env, "2")
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "invalid_number"
    assert any(f"Twilio {code} (HTTP 400)" in line for line in login.logs())


@pytest.mark.parametrize("failmode", ["secure", "safe"])
def test_bad_credentials_20003(twilio_env, failmode):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=f'login: {{ failmode = "{failmode}"; }};')
    env.write("etc/service.token", "wrong-secret\n", 0o600)
    login = menu_and_choose(env)
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "service_auth_failed"
    assert any("Twilio 20003 (HTTP 401): authentication failed: check twilio.api_key_sid" in line
               for line in login.logs())


def test_account_sid_and_auth_token(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    text = open(env.config_path).read().replace(f'api_key_sid = "{env.twilio.api_key_sid}"',
                                                f'account_sid = "{env.twilio.account_sid}"')
    env.set_config(text=text)
    env.write("etc/service.token", env.twilio.auth_token + "\n", 0o600)
    login = env.login_with_code("1", PRIMARY)
    assert login.finish() == PAM_SUCCESS


def test_wrong_service_sid(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(text=open(env.config_path).read().replace(env.twilio.service_sid, "VA" + "0" * 32))
    login = menu_and_choose(env)
    assert login.finish() == PAM_AUTH_ERR
    assert any("Twilio 20404 (HTTP 404): not found: check twilio.service_sid" in line for line in login.logs())


def test_a_call_is_never_placed_twice_on_a_timeout(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(text=open(env.config_path).read().replace("request_timeout = 4", "request_timeout = 1"))
    env.network.add_fault({"kind": "hang", "op": "start", "seconds": 4})
    login = menu_and_choose(env, "2")
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert len(starts(env)) == 1


def test_server_error_uses_the_failmode(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.add_fault({"kind": "status", "status": 503, "op": "start"})
    login = menu_and_choose(env)
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert login.outcome()["reason"] == "service_unavailable"


@pytest.mark.parametrize("body", [
    {"sid": "VE123", "status": "pending"},
    {"sid": "VE" + "a" * 32, "status": "sent"},
    {"sid": "VE" + "a" * 32, "status": "pending", "to": "+15555550199"},
    {"sid": "VE" + "a" * 32, "status": "pending", "valid": "no"},
    {"sid": "VE" + "a" * 32, "status": "approved"},
])
def test_unexpected_twilio_answers_deny(twilio_env, body):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.add_fault({"kind": "body", "op": "start", "status": 201, "body": body})
    login = menu_and_choose(env)
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert login.outcome()["reason"] == "bad_response"


def test_secret_never_logged(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    login = menu_and_choose(env)
    login.prompt()
    code = env.network.last_code(PRIMARY)
    login.answer(code)
    assert login.finish() == PAM_SUCCESS
    text = " ".join(login.logs())
    assert env.twilio.api_key_secret not in text and code not in text
    assert not re.search(r"Basic [A-Za-z0-9+/=]{8,}", text)
    assert quote(PRIMARY) not in text


def test_example_twilio_config_from_conf_works(twilio_env):
    """conf/phonemfa-twilio.conf as shipped, with only SIDs, paths and the
    fake's URL filled in."""
    import os
    from harness import ROOT
    env = twilio_env
    with open(os.path.join(ROOT, "conf", "phonemfa-twilio.conf")) as example:
        text = example.read()
    text = text.replace("VA00000000000000000000000000000000", env.twilio.service_sid)
    text = text.replace("SK00000000000000000000000000000000", env.twilio.api_key_sid)
    text = text.replace("/etc/phonemfa/twilio.secret", env.token_file)
    text = text.replace("/var/lib/phonemfa", env.store)
    text = text.replace('provider = "twilio";',
                        f'provider = "twilio";\n  urls = [ "{env.service.url()}" ];\n'
                        f'  ca_file = "{env.service.ca_file}";')
    env.set_config(text=text)
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login_with_code("1", PRIMARY)
    assert login.finish() == PAM_SUCCESS


def test_check_reaches_twilio_and_explains_a_wrong_service_sid(twilio_env):
    """phonemfa-setup check asks Twilio for the Verify Service (sends nothing)."""
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.start_daemon()
    check = [os.path.join(BUILD, "phonemfa-setup"), "--socket", env.socket, "check"]
    good = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "reachable, certificate and credentials accepted" in good.stdout
    env.write("etc/service.token", "not-the-secret\n", 0o600)
    refused = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 3
    assert "PROBLEM  service" in refused.stdout and "check token_file" in refused.stdout



def test_pam_env_sets_lang_too_late_for_the_locale(twilio_env):
    """pam_env sets the PAM environment when credentials are set or the
    session opens, both after pam_authenticate: LANG from it never reaches
    the login, and without login.locale the service chooses."""
    env = twilio_env
    env.enroll("alice", {"primary": UK})
    conffile = env.write("etc/pam_env.conf", "")
    envfile = env.write("etc/environment", "LANG=ja_JP.UTF-8\n")
    pam_env = f"auth required pam_env.so readenv=1 conffile={conffile} envfile={envfile}\n"
    env.write_stack("sshd", stack=STACK.format(module=MODULE, args=env.module_args, marker=IGNORE_MARKER,
                                               before=pam_env))
    login = env.login_with_code("1", UK)
    assert login.finish() == PAM_SUCCESS
    assert starts(env)[0]["body"] == {"To": UK, "Channel": "sms"}


def test_lang_in_the_pam_environment_does_not_pick_the_locale(twilio_env):
    """Not even LANG the application itself put in the PAM environment:
    the language is the user's record's or the administrator's."""
    env = twilio_env
    env.enroll("alice", {"primary": UK})
    login = env.login_with_code("1", UK, pam_env="LANG=ja_JP.UTF-8")
    assert login.finish() == PAM_SUCCESS
    assert starts(env)[0]["body"] == {"To": UK, "Channel": "sms"}


@pytest.mark.parametrize("choice,channel", [("1", "sms"), ("2", "call")])
def test_the_users_own_language_is_the_locale(twilio_env, choice, channel):
    env = twilio_env
    path = env.enroll("alice", {"primary": UK})
    record = json.load(open(path))
    record["language"] = "pt-BR"
    env.write_record("alice", json.dumps(record))
    env.set_config(extra='login: { locale = "ja"; };')
    login = menu_and_choose(env, choice)
    login.prompt()
    login.answer(env.network.last_code(UK))
    assert login.finish() == PAM_SUCCESS
    assert starts(env)[0]["body"] == {"To": UK, "Channel": channel, "Locale": "pt-BR"}
