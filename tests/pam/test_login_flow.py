"""The login as a user sees it: the menu, each choice, codes, calls, going
back to the menu, and every way it ends."""
import re
import threading

import pytest

from harness import (PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR, PAM_IGNORE, PAM_SUCCESS)

PRIMARY = "+15555550117"
ALTERNATE = "+15555550119"
OFFICE = "+15555550123"
UK_MOBILE = "+447700900123"


def enroll_all(env, preferred=None):
    env.enroll("alice", {"primary": PRIMARY, "alternate": ALTERNATE, "office": (OFFICE, "4321")},
               preferred=preferred)


def test_menu_lists_every_phone_masked(env):
    enroll_all(env)
    login = env.login()
    menu = login.prompt()
    assert menu["style"] == "echo_on"
    assert menu["text"] == ("Verify your identity:\n"
                            "  1) Text +X XXXXXXXX17\n"
                            "  2) Call +X XXXXXXXX17\n"
                            "  3) Text +X XXXXXXXX19 (alternate)\n"
                            "  4) Call +X XXXXXXXX19 (alternate)\n"
                            "  5) Call +X XXXXXXXX23 (office)\n"
                            "Choose 1-5 [1]: ")
    assert login.finish() == PAM_CONV_ERR
    assert not env.requests(), "nothing may be sent before a choice"


CHOICES = [
    ("1", PRIMARY, "text", "Code sent to +X XXXXXXXX17. Enter the code (or press Enter to go back): "),
    ("2", PRIMARY, "call", "Calling +X XXXXXXXX17. Enter the code you hear (or press Enter to go back): "),
    ("3", ALTERNATE, "text", "Code sent to +X XXXXXXXX19. Enter the code (or press Enter to go back): "),
    ("4", ALTERNATE, "call", "Calling +X XXXXXXXX19. Enter the code you hear (or press Enter to go back): "),
    ("5", OFFICE, "call", "Calling +X XXXXXXXX23. Enter the code you hear (or press Enter to go back): "),
]


@pytest.mark.parametrize("choice,number,channel,prompt", CHOICES)
def test_each_menu_choice(env, choice, number, channel, prompt):
    enroll_all(env)
    login = env.login()
    login.prompt()
    login.answer(choice)
    code_prompt = login.prompt()
    assert code_prompt == {"event": "prompt", "style": "echo_off", "text": prompt}
    delivery = env.network.deliveries[-1]
    assert (delivery["to"], delivery["channel"]) == (number, channel)
    assert delivery["extension"] == ("4321" if number == OFFICE else None)
    login.answer(env.network.last_code(number))
    assert login.finish() == PAM_SUCCESS
    outcome = login.outcome()
    assert outcome["outcome"] == "success" and outcome["reason"] == "approved"
    assert outcome["phone"] == re.search(r"\+X+ X+[0-9]{2}", prompt).group(0)
    assert outcome["channel"] == channel


def test_enter_picks_the_preferred_method(env):
    enroll_all(env, preferred=("alternate", "call"))
    login = env.login()
    menu = login.prompt()
    assert menu["text"].endswith("Choose 1-5 [4]: ")
    login.answer("")
    assert login.prompt()["text"].startswith("Calling +X XXXXXXXX19.")
    login.answer(env.network.last_code(ALTERNATE))
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["channel"] == "call"


def test_wrong_code_then_right(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    code = env.network.last_code(PRIMARY)
    login.answer("000000" if code != "000000" else "111111")
    retry = login.prompt()
    assert retry["style"] == "echo_off"
    assert retry["text"] == "Wrong code, 2 attempts left. Enter the code (or press Enter to go back): "
    login.answer(code)
    assert login.finish() == PAM_SUCCESS
    assert len(env.requests("check")) == 2


def test_attempts_exhausted(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    code = env.network.last_code(PRIMARY)
    wrong = "000000" if code != "000000" else "111111"
    for expected_left in (None, 2, 1):
        text = login.prompt()["text"]
        if expected_left == 1:
            assert text.startswith("Wrong code, 1 attempt left.")
        login.answer(wrong)
    assert login.finish() == PAM_AUTH_ERR
    assert "Too many wrong codes." in login.messages()
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("denied", "wrong_code")
    assert len(env.requests("check")) == 3
    assert len(env.requests("cancel")) == 1, "an abandoned verification is cancelled"


def test_malformed_code_is_wrong_without_asking_the_service(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer("12; DROP")
    assert login.prompt()["text"].startswith("Wrong code, 2 attempts left.")
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    assert len(env.requests("check")) == 1


def test_back_to_menu_and_use_the_alternate(env):
    env.enroll("alice", {"primary": PRIMARY, "alternate": ALTERNATE})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer("")  # the primary phone is not at hand
    menu = login.prompt()
    assert menu["text"].startswith("Verify your identity:\n  1) Text +X XXXXXXXX17")
    login.answer("3")
    assert login.prompt()["text"].startswith("Code sent to +X XXXXXXXX19.")
    login.answer(env.network.last_code(ALTERNATE))
    assert login.finish() == PAM_SUCCESS
    assert len(env.requests("cancel")) == 1
    assert [r["body"]["to"] for r in env.requests("start")] == [PRIMARY, ALTERNATE]
    assert login.outcome()["phone"] == "+X XXXXXXXX19"


def test_invalid_choice_is_asked_again(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("9")
    again = login.prompt()
    assert again["text"].startswith("Please enter a number from 1 to 2.\nVerify your identity:")
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS


def test_invalid_choices_are_bounded(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    for answer in ("x", "0", "-1"):
        login.prompt()
        login.answer(answer)
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "invalid_choice"
    assert not env.requests()


def test_verifications_per_login_are_bounded(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    for _ in range(3):
        login.prompt()
        login.answer("1")
        login.prompt()
        login.answer("")
    assert login.finish() == PAM_AUTH_ERR
    assert "No more verification attempts for this login." in login.messages()
    assert login.outcome()["reason"] == "verifications_exhausted"
    assert len(env.requests("start")) == 3


def test_expired_code_goes_back_to_the_menu(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    code = env.network.last_code(PRIMARY)
    env.network.expire(PRIMARY)
    login.answer(code)
    menu = login.prompt()
    assert menu["text"].startswith("The code has expired. Choose a phone to get a new one.\n")
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS


def test_service_limit_on_checks_denies(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="login: { code_attempts = 10; };")
    env.network.max_checks = 2
    try:
        login = env.login()
        login.prompt()
        login.answer("1")
        login.prompt()
        code = env.network.last_code(PRIMARY)
        wrong = "000000" if code != "000000" else "111111"
        login.answer(wrong)
        login.prompt()
        login.answer(wrong)
        assert login.finish() == PAM_AUTH_ERR
        assert login.outcome()["reason"] == "too_many_attempts"
    finally:
        env.network.max_checks = 5


# -- calls approved by pressing # -------------------------------------------

CALL_PROMPT = "Calling +X XXXXXXXX17. Answer it and press # to approve, then press Enter here: "


def approval_login(env):
    env.network.call_mode = "approval"
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="login: { call_answer_timeout = 5; poll_interval = 0.2; };")
    login = env.login()
    login.prompt()
    login.answer("2")
    prompt = login.prompt()
    assert prompt == {"event": "prompt", "style": "echo_on", "text": CALL_PROMPT}
    return login


def test_call_approved(env):
    login = approval_login(env)
    assert env.network.answer_call(PRIMARY, "approve")
    login.answer("")
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["reason"] == "approved"
    assert not env.requests("check"), "an approved call needs no code"


def test_call_approved_while_the_module_waits(env):
    login = approval_login(env)
    login.answer("")
    threading.Timer(0.8, env.network.answer_call, (PRIMARY, "approve")).start()
    assert login.finish() == PAM_SUCCESS
    assert len(env.requests("status")) >= 2


def test_call_declined(env):
    login = approval_login(env)
    env.network.answer_call(PRIMARY, "decline")
    login.answer("")
    assert login.finish() == PAM_AUTH_ERR
    assert "The call was declined." in login.messages()
    assert login.outcome()["reason"] == "call_declined"


def test_call_never_answered(env):
    login = approval_login(env)
    login.answer("")
    menu = login.prompt()
    assert menu["text"].startswith("The call to +X XXXXXXXX17 was not answered.\nVerify your identity:")
    assert len(env.requests("start")) == 1, "a call is never placed again on its own"
    assert len(env.requests("cancel")) == 1
    assert login.finish() == PAM_CONV_ERR


# -- who is asked, and when nothing is asked ---------------------------------

def test_unenrolled_user_is_denied_by_default(env):
    login = env.login(user="bob")
    assert login.finish() == PAM_AUTH_ERR
    assert not login.prompts()
    assert "No phone is registered for your account. Contact your administrator." in login.messages()
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"], outcome["user"]) == ("denied", "not_enrolled", "bob")
    assert not env.requests()


NOT_ENROLLED = "No phone is registered for your account. Contact your administrator."


def test_closing_reason_is_shown_under_pam_silent(env):
    """sudo passes PAM_SILENT on every authentication: honouring it would
    leave the user with "Sorry, try again." and no reason."""
    login = env.login(user="bob", silent=True)
    assert login.finish() == PAM_AUTH_ERR
    assert login.messages() == [NOT_ENROLLED]
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("denied", "not_enrolled")


def test_closing_reason_of_the_module_is_shown_under_pam_silent(env):
    env.module_args = f"socket={env.dir}/nothing-here.sock"
    env.write_stack("sshd")
    login = env.login(silent=True)
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert login.messages() == ["Phone verification is not available right now. Try again later."]
    assert login.outcome()["reason"] == "daemon_unavailable"
    assert any("phonemfad not available:" in line for line in login.logs())


@pytest.mark.parametrize("silent", [True, False])
def test_honour_silent_holds_closing_reasons_back(env, silent):
    env.module_args += " honour_silent"
    env.write_stack("sshd")
    login = env.login(user="bob", silent=silent)
    assert login.finish() == PAM_AUTH_ERR
    assert login.messages() == ([] if silent else [NOT_ENROLLED])
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("denied", "not_enrolled")


def test_honour_silent_still_shows_the_menu(env):
    env.module_args += " honour_silent"
    env.write_stack("sshd")
    env.enroll("alice", {"primary": "+15555550117"})
    login = env.login(silent=True)
    assert "Verify your identity:" in login.prompt()["text"]
    login.answer("1")
    login.prompt()
    for _ in range(3):
        login.answer("000000" if env.network.last_code("+15555550117") != "000000" else "111111")
        if _ < 2:
            login.prompt()
    assert login.finish() == PAM_AUTH_ERR
    assert "Too many wrong codes." not in login.messages()
    assert login.outcome()["reason"] == "wrong_code"


def test_unenrolled_user_is_ignored_when_configured(env):
    env.set_config(extra='login: { unenrolled = "ignore"; };')
    login = env.login(user="bob")
    login.finish()
    assert login.module_result() == PAM_IGNORE, "never PAM_SUCCESS for an unenrolled user"
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("ignored", "not_enrolled")


@pytest.mark.parametrize("marker", ["sshd-incorrect", "sshd-incorrect:1", "sshd-incorrect:7", "sshd-incorrect:40"])
def test_password_already_failed_sends_nothing(env, marker):
    """sshd repeats its junk to the length of the password typed: a wrong
    password of any length, not only of 13 characters, ends the login here
    (found in review: the phone of root rang for any other length)."""
    env.enroll("alice", {"primary": PRIMARY})
    env.write_stack("sshd", authtok=marker)
    login = env.login()
    assert login.finish() == PAM_AUTH_ERR
    assert not login.prompts()
    assert login.outcome()["reason"] == "password_failed"
    assert not env.requests(), "no paid text or call after a failed password"


def test_a_correct_password_does_not_skip_the_phone(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.write_stack("sshd", authtok="correct-horse")
    login = env.login()
    login.prompt()
    assert login.finish() == PAM_CONV_ERR


def test_conversation_ends_at_the_menu(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    assert login.finish() == PAM_CONV_ERR
    assert login.outcome()["reason"] == "conversation_error"
    assert not env.requests()


def test_conversation_ends_at_the_code_prompt(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    assert login.finish() == PAM_CONV_ERR
    assert login.outcome()["reason"] == "conversation_error"
    assert len(env.requests("cancel")) == 1


def test_no_conversation_function(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login(no_conv=True)
    result = login.finish()
    assert result != PAM_SUCCESS
    assert not env.requests()


def test_pam_silent_still_shows_the_menu(env):
    """sudo always passes PAM_SILENT; hiding the menu would lock sudo out."""
    env.enroll("alice", {"primary": PRIMARY})
    env.write_stack("sudo")
    login = env.login(service="sudo", silent=True, rhost=None, tty="/dev/pts/3")
    assert login.prompt()["text"].startswith("Verify your identity:")
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    outcome = login.outcome()
    assert (outcome["service"], outcome["rhost"], outcome["tty"]) == ("sudo", "-", "/dev/pts/3")


@pytest.mark.parametrize("user", ["../etc/passwd", "alice/../root", "-rf", ".hidden", "a" * 65, "al ice"])
def test_invalid_user_names_touch_nothing(env, user):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login(user=user)
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "invalid_user"
    assert not login.prompts() and not env.requests()


def test_locale_is_passed_to_the_service(env):
    env.enroll("alice", {"primary": UK_MOBILE})
    env.set_config(extra='login: { locale = "ja"; };')
    login = env.login()
    assert "+XX XXXXXXXX23" in login.prompt()["text"]
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(UK_MOBILE))
    assert login.finish() == PAM_SUCCESS
    assert env.requests("start")[0]["body"] == {"user": "alice", "to": UK_MOBILE, "channel": "text",
                                                "locale": "ja"}


def test_codes_and_secrets_never_reach_the_log_or_prompts(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    code = env.network.last_code(PRIMARY)
    login.answer(code)
    assert login.finish() == PAM_SUCCESS
    seen = " ".join(login.logs() + [p["text"] for p in login.prompts()] + login.messages())
    assert code not in seen
    assert env.network.token not in seen
    assert PRIMARY not in seen and "5555550117" not in seen, "numbers are only shown masked"
    assert all(re.search(r"^(pam_phonemfa\(sshd:auth\)|phonemfad): ", line) for line in login.logs())


def test_hostile_remote_host_cannot_forge_log_fields(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login(rhost='evil" outcome=success\nreason=approved', tty="pts/1 user=root")
    login.prompt()
    assert login.finish() == PAM_CONV_ERR
    line = login.outcome_lines()[0]
    assert line.count("outcome=") == 1 and line.count("user=") == 1 and "\n" not in line
    assert "rhost=evil??outcome?success?reason?approved" in line
    assert "tty=pts/1?user?root" in line


def test_proxy_variables_in_the_environment_are_ignored(env):
    """A user-set https_proxy must not redirect the module (Duo's 2017 advisory)."""
    env.enroll("alice", {"primary": PRIMARY})
    hostile = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
               "ALL_PROXY": "http://127.0.0.1:9", "CURL_CA_BUNDLE": "/dev/null",
               "SSL_CERT_FILE": "/dev/null", "LANG": "ja_JP.UTF-8"}
    login = env.login(extra_env=hostile)
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
