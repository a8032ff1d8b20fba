"""Policy and abuse controls: lockout, send limits, allowed countries and
channels, remembered logins, exemptions, which human verifies, break-glass
outages. Each asserts the PAM result, the prompts and the log line."""
import time

import pytest

from harness import PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR, PAM_IGNORE, PAM_SUCCESS, run_parallel

PRIMARY = "+15555550117"
ALTERNATE = "+447700900123"


def utc(seconds_from_now):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


def fail_once(env, **login_args):
    """A login that ends with a wrong code (code_attempts = 1)."""
    login = env.login(**login_args)
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer("000000" if env.network.last_code(PRIMARY) != "000000" else "111111")
    assert login.finish() == PAM_AUTH_ERR
    return login


def reason(login):
    return login.outcome()["reason"]


# -- lockout -------------------------------------------------------------

LOCKOUT = "login: { code_attempts = 1; }; lockout: { failures = 2; window = 900; duration = 600; };"


def test_lockout_after_failed_verifications(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=LOCKOUT)
    fail_once(env)
    second = fail_once(env)
    assert any("lockout: user alice locked out for 600 seconds after 2 failed verifications" in line
               for line in second.logs())
    env.network.reset()
    locked = env.login()
    assert locked.finish() == PAM_AUTH_ERR
    assert not locked.prompts()
    assert "Too many failed verifications. Try again in 10 minutes." in locked.messages()
    assert reason(locked) == "locked_out"
    assert not env.requests(), "a locked-out user costs nothing"


def test_failures_older_than_the_window_do_not_count(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=LOCKOUT)
    env.write_state("alice", {"version": 1, "failures": [utc(-901)], "sends": [], "locked_until": None,
                              "remembered": []})
    fail_once(env)
    login = env.login_with_code()
    assert login.finish() == PAM_SUCCESS


def test_lockout_ends(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=LOCKOUT)
    env.write_state("alice", {"version": 1, "locked_until": utc(-1)})
    assert env.login_with_code().finish() == PAM_SUCCESS


def test_a_success_clears_the_failure_count(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=LOCKOUT)
    fail_once(env)
    assert len(env.read_state("alice")["failures"]) == 1
    assert env.login_with_code().finish() == PAM_SUCCESS
    assert env.read_state("alice")["failures"] == []


def test_parallel_failures_are_all_counted(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="login: { code_attempts = 1; }; lockout: { failures = 100; }; "
                         "limits: { sends_per_user = 100; };")
    env.relax_timeouts()
    run_parallel(12, lambda: fail_once(env))
    assert len(env.read_state("alice")["failures"]) == 12


# -- send limits -------------------------------------------------------------

def test_send_limit_per_user(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="limits: { sends_per_user = 2; window = 3600; };")
    login = env.login()
    for _ in range(2):
        login.prompt()
        login.answer("1")
        login.prompt()
        login.answer("")
    login.prompt()
    login.answer("1")
    assert login.finish() == PAM_AUTH_ERR
    assert "Too many texts and calls for your account recently. Try again later." in login.messages()
    assert reason(login) == "send_limit"
    assert len(env.requests("start")) == 2
    env.network.reset()
    later = env.login()
    later.prompt()
    later.answer("2")
    assert later.finish() == PAM_AUTH_ERR and not env.requests(), "the limit holds across logins"


def test_sends_older_than_the_window_do_not_count(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="limits: { sends_per_user = 2; window = 3600; };")
    env.write_state("alice", {"version": 1, "sends": [utc(-3601), utc(-3700)]})
    assert env.login_with_code().finish() == PAM_SUCCESS


def test_parallel_logins_never_exceed_the_send_limit(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="limits: { sends_per_user = 3; };")
    env.relax_timeouts()
    results = []

    def one():
        login = env.login()
        login.prompt()
        login.answer("1")
        event = login.next_event()
        while event["event"] not in ("prompt", "result"):
            event = login.next_event()
        results.append(event["event"])
        if event["event"] == "result":
            login.wait()
        else:
            login.finish()
    run_parallel(10, one)
    assert len(env.requests("start")) == 3
    assert results.count("prompt") == 3 and results.count("result") == 7
    assert len(env.read_state("alice")["sends"]) == 3


def test_only_allowed_countries_are_offered(env):
    env.enroll("alice", {"primary": PRIMARY, "alternate": ALTERNATE})
    env.set_config(extra="limits: { countries = [ 44 ]; };")
    login = env.login()
    menu = login.prompt()["text"]
    assert menu == ("Verify your identity:\n  1) Text +XX XXXXXXXX23 (alternate)\n"
                    "  2) Call +XX XXXXXXXX23 (alternate)\nChoose 1-2 [1]: ")
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(ALTERNATE))
    assert login.finish() == PAM_SUCCESS


def test_only_allowed_channels_are_offered(env):
    env.enroll("alice", {"primary": PRIMARY}, preferred=("primary", "text"))
    env.set_config(extra='limits: { channels = [ "call" ]; };')
    login = env.login()
    assert login.prompt()["text"] == "Verify your identity:\n  1) Call +X XXXXXXXX17\nChoose 1-1 [1]: "
    assert login.finish() == PAM_CONV_ERR


def test_no_allowed_phone_denies(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="limits: { countries = [ 33 ]; };")
    login = env.login()
    assert login.finish() == PAM_AUTH_ERR
    assert reason(login) == "no_allowed_phone"
    assert not login.prompts() and not env.requests()


# -- remembered logins ---------------------------------------------------------

REMEMBER_PROMPT = "Skip this check for logins like this one for 7 days? [y/N]: "


def test_remembered_at_the_users_choice(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "ask"; days = 7; key = [ "rhost", "service" ]; };')
    first = env.login_with_code()
    assert first.prompt()["text"] == REMEMBER_PROMPT
    first.answer("y")
    assert first.finish() == PAM_SUCCESS
    assert reason(first) == "approved_and_remembered"
    env.network.reset()
    second = env.login()
    assert second.finish() == PAM_SUCCESS
    assert not second.prompts() and not env.requests()
    assert reason(second) == "remembered"
    other_host = env.login(rhost="198.51.100.9")
    assert other_host.prompt()["text"].startswith("Verify your identity:"), "keyed on the remote host"
    other_host.finish()
    env.write_stack("sudo")
    other_service = env.login(service="sudo")
    assert other_service.prompt()["text"].startswith("Verify your identity:"), "keyed on the service"
    other_service.finish()


def test_declining_to_be_remembered(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "ask"; };')
    first = env.login_with_code()
    first.prompt()
    first.answer("")
    assert first.finish() == PAM_SUCCESS and reason(first) == "approved"
    second = env.login()
    assert second.prompt()["text"].startswith("Verify your identity:")
    second.finish()


def test_remembered_by_the_administrator_and_expiring(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "always"; days = 1; key = [ "rhost" ]; };')
    first = env.login_with_code()
    assert first.finish() == PAM_SUCCESS and reason(first) == "approved_and_remembered"
    assert env.login().finish() == PAM_SUCCESS
    state = env.read_state("alice")
    assert state["remembered"][0]["key"] == "rhost=192.0.2.10"
    state["remembered"][0]["until"] = utc(-1)
    env.write_state("alice", state)
    expired = env.login()
    assert expired.prompt()["text"].startswith("Verify your identity:")
    expired.finish()


def test_replacing_the_verified_phone_forgets_remembered_logins(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "always"; };')
    assert env.login_with_code().finish() == PAM_SUCCESS
    env.enroll("alice", {"primary": "+15555550118"})
    login = env.login()
    assert login.prompt()["text"].startswith("Verify your identity:")
    login.finish()


def test_a_remembered_login_names_the_phone_verified(env):
    """Adding another phone leaves it standing: the phone proven then is
    still there and still allowed."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "always"; };')
    assert env.login_with_code().finish() == PAM_SUCCESS
    assert env.read_state("alice")["remembered"][0]["phones"] == f"p{PRIMARY}/text"
    env.enroll("alice", {"primary": PRIMARY, "alternate": ALTERNATE})
    login = env.login()
    assert login.finish() == PAM_SUCCESS
    assert reason(login) == "remembered"


def test_nothing_remembered_without_the_keyed_item(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "ask"; key = [ "rhost" ]; };')
    login = env.login_with_code(rhost=None)
    assert login.finish() == PAM_SUCCESS
    assert all("Skip this check" not in p["text"] for p in login.prompts())


def test_nothing_remembered_on_part_of_the_key(env):
    """key = rhost and tty, the tty unknown: not remembered on the host alone."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "ask"; key = [ "rhost", "tty" ]; };')
    login = env.login_with_code(tty=None)
    assert login.finish() == PAM_SUCCESS
    assert all("Skip this check" not in p["text"] for p in login.prompts())
    assert reason(login) == "approved"


# -- who must verify --------------------------------------------------------------

def assert_exempt(login, why):
    login.finish()
    assert login.module_result() == PAM_IGNORE, "exempt logins get PAM_IGNORE, never PAM_SUCCESS"
    assert not login.prompts()
    assert (login.outcome()["outcome"], reason(login)) == ("ignored", why)


def test_exempt_user(env):
    env.set_config(extra='access: { exempt_users = [ "svc-backup" ]; };')
    assert_exempt(env.login(user="svc-backup"), "exempt_user")
    assert not env.requests()


def test_exempt_group(env):
    # "daemon" is a user and group on every Debian system: nothing is added to the host.
    env.set_config(extra='access: { exempt_groups = [ "daemon" ]; };')
    assert_exempt(env.login(user="daemon"), "exempt_group")
    env.enroll("alice", {"primary": PRIMARY})
    assert env.login().prompt()["text"].startswith("Verify your identity:")


def test_required_groups(env):
    env.set_config(extra='access: { required_groups = [ "daemon" ]; };')
    env.enroll("daemon", {"primary": PRIMARY})
    assert_exempt(env.login(user="alice"), "not_in_required_group")
    login = env.login(user="daemon")
    assert login.prompt()["text"].startswith("Verify your identity:")
    login.finish()


@pytest.mark.parametrize("rhost,trusted", [
    ("192.0.2.10", True), ("192.0.2.255", True), ("192.0.3.1", False), ("::ffff:192.0.2.7", True),
    ("2001:db8::1", True), ("2001:db9::1", False), ("trusted.example.com", False), ("", False),
])
def test_trusted_networks(env, rhost, trusted):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='access: { trusted_networks = [ "192.0.2.0/24", "2001:db8::/32" ]; };')
    login = env.login(rhost=rhost or None)
    if trusted:
        assert_exempt(login, "trusted_network")
    else:
        assert login.prompt()["text"].startswith("Verify your identity:")
        login.finish()


# -- which human verifies ----------------------------------------------------------

def test_su_verifies_the_invoking_user(env):
    env.enroll("bob", {"primary": ALTERNATE})
    env.enroll("root", {"primary": PRIMARY})
    env.set_config(extra='login: { verify_user = "invoking"; };')
    env.write_stack("su-l")
    login = env.login(user="root", service="su-l", rhost=None, tty="/dev/pts/1", ruser="bob")
    assert "+XX XXXXXXXX23" in login.prompt()["text"], "bob's phone, not root's"
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(ALTERNATE))
    assert login.finish() == PAM_SUCCESS
    outcome = login.outcome()
    assert (outcome["user"], outcome["target"]) == ("bob", "root")


def test_su_verifies_the_target_by_default(env):
    env.enroll("bob", {"primary": ALTERNATE})
    env.enroll("root", {"primary": PRIMARY})
    env.write_stack("su-l")
    login = env.login(user="root", service="su-l", rhost=None, ruser="bob")
    assert "+X XXXXXXXX17" in login.prompt()["text"]
    login.finish()
    assert "target" not in login.outcome()


# -- break-glass outages ---------------------------------------------------------

def test_failmode_safe_only_for_break_glass_groups(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.enroll("daemon", {"primary": PRIMARY})
    env.set_config(urls=["https://127.0.0.1:1"],
                   extra='login: { failmode = "safe"; failmode_safe_groups = [ "daemon" ]; };')
    login = env.login()
    login.prompt()
    login.answer("1")
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert any("FAILMODE SAFE not applied: user alice is not in login.failmode_safe_groups" in line
               for line in login.logs())
    glass = env.login(user="daemon")
    glass.prompt()
    glass.answer("1")
    glass.finish()
    assert glass.module_result() == PAM_IGNORE
    assert any("FAILMODE SAFE: verification service unavailable, user daemon passes" in line
               for line in glass.logs())


def test_state_directory_must_be_safe(env):
    import os
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=LOCKOUT)
    os.chmod(env.state, 0o777)
    login = env.login()
    assert login.finish() == 3  # PAM_SERVICE_ERR
    assert reason(login) == "state_error"
    assert any(f"state error: state directory {env.state}: writable by group or others" in line
               for line in login.logs())
