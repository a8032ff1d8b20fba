"""Attacks on pam_phonemfa, performed at the PAM level as an attacker would
(issue 9). Each test asserts the PAM result, what the user saw and the log
line; each one failed on the code before the issue 9 fixes.

What needs a setuid caller (an invoking user who is not root: unsafe
environment variables, failmode safe under su) is covered by the e2e tests
with the real su: pamclient runs as root, not setuid."""
import os
import re
import socket
import time


from harness import (BUILD, PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR, PAM_IGNORE, PAM_SERVICE_ERR,
                     PAM_SUCCESS, PAM_USER_UNKNOWN, USE_VALGRIND, run_parallel)

PRIMARY = "+15555550117"
ALTERNATE = "+447700900123"
CAROL = "+15555550142"
UNAVAILABLE_MESSAGE = "Phone verification is not available right now. Try again later."
CASEFOLD_NSS = {"NSS_WRAPPER_MODULE_SO_PATH": os.path.join(BUILD, "tests", "libnss_casefold.so"),
                "NSS_WRAPPER_MODULE_FN_PREFIX": "casefold"}
NOT_APPLIED = ("FAILMODE SAFE not applied: a verification request may already have reached the "
               "service in this login")


def utc(seconds_from_now):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


def wrong_code(env, number=PRIMARY):
    """A code no phone was sent (so wrong for every verification so far)."""
    sent = set(env.network.codes_for(number))
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in sent)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{sock.getsockname()[1]}"


def logged(login, text):
    return any(text in line for line in login.logs())


def set_timeouts(env, request_timeout, connect_timeout=2):
    text = open(env.config_path).read()
    text = text.replace("request_timeout = 4;", f"request_timeout = {request_timeout};")
    text = text.replace("connect_timeout = 2;", f"connect_timeout = {connect_timeout};")
    env.set_config(text=text)


# -- item 2(b): failmode safe cannot be forced once a request may have gone out --

SAFE = 'login: { failmode = "safe"; };'


def assert_safe_not_applied(login):
    result = login.finish()
    assert login.module_result() == PAM_AUTHINFO_UNAVAIL, \
        f"failmode safe let the login through (result {result}): {login.logs()}"
    assert UNAVAILABLE_MESSAGE in login.messages()
    assert logged(login, NOT_APPLIED), login.logs()
    assert not logged(login, "FAILMODE SAFE: verification service unavailable")
    outcome = login.outcome()
    assert outcome["outcome"] == "denied"
    assert outcome["reason"] in ("service_unavailable", "bad_response")


def test_failmode_safe_not_applied_when_the_code_check_fails(env):
    """The attacker got a code sent, then makes the check fail (e.g. by
    blocking the service): the code might be checked, so no free pass."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=SAFE)
    env.network.add_fault({"kind": "status", "status": 503, "op": "check", "count": 5})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer(wrong_code(env))
    assert_safe_not_applied(login)
    assert len(env.requests("start")) == 1


def test_failmode_safe_not_applied_when_the_code_check_hangs(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=SAFE)
    set_timeouts(env, 1)
    env.network.add_fault({"kind": "hang", "op": "check", "seconds": 4, "count": 5})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer(wrong_code(env))
    assert_safe_not_applied(login)


def test_failmode_safe_not_applied_when_a_call_poll_fails(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=SAFE)
    env.network.call_mode = "approval"
    env.network.add_fault({"kind": "status", "status": 503, "op": "status", "count": 5})
    login = env.login()
    login.prompt()
    login.answer("2")
    assert login.prompt()["text"].startswith("Calling +X XXXXXXXX17. Answer it")
    login.answer("")
    assert_safe_not_applied(login)


def test_failmode_safe_not_applied_when_the_start_times_out_after_it_was_sent(env):
    """The text may have gone out (the service got the request): a timeout
    there is not an outage failmode safe may paper over."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=SAFE)
    set_timeouts(env, 1)
    env.network.add_fault({"kind": "hang", "op": "start", "seconds": 4})
    login = env.login()
    login.prompt()
    login.answer("1")
    assert_safe_not_applied(login)
    assert len(env.requests("start")) == 1


def test_control_failmode_safe_applies_when_nothing_was_sent(env):
    """Control (passes before and after the fix): no URL took a connection,
    so nothing reached the service and failmode safe applies."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(urls=[closed_port_url(), closed_port_url()], extra=SAFE)
    login = env.login()
    login.prompt()
    login.answer("1")
    login.finish()
    assert login.module_result() == PAM_IGNORE
    assert logged(login, "FAILMODE SAFE: verification service unavailable, user alice passes")
    assert not logged(login, "FAILMODE SAFE not applied")
    assert login.outcome()["reason"] == "service_unavailable_failmode_safe"


def test_failmode_safe_not_applied_when_the_service_answers_503_at_the_start(env):
    """Found in review: a service that answers at all took the request. A
    client that can overload it until it says 503 must not open failmode
    safe, and the send stays counted."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra=SAFE)
    env.network.add_fault({"kind": "status", "op": "start", "status": 503})
    login = env.login()
    login.prompt()
    login.answer("1")
    assert_safe_not_applied(login)
    assert len(env.read_state("alice")["sends"]) == 1


def test_a_start_that_never_left_does_not_undo_a_lockout(env):
    """Found in review: four failures, then a start made to fail before it
    leaves (SIGSTOP during connect, an outage). Its reservation is the fifth
    failure and starts the lockout; the refund of the unsent text must not
    lift it, or every fifth guess would wipe the count."""
    env.enroll("alice", {"primary": PRIMARY})
    env.write_state("alice", {"version": 1, "failures": [utc(-60)] * 4})
    env.set_config(urls=[closed_port_url()])
    login = env.login()
    login.prompt()
    login.answer("1")
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert logged(login, "lockout: user alice locked out for 900 seconds after 5 failed verifications")
    state = env.read_state("alice")
    assert state["locked_until"] is not None, state
    assert state["sends"] == [], "the text that never left is not counted"
    env.set_config()
    locked = env.login()
    assert locked.finish() == PAM_AUTH_ERR
    assert locked.outcome()["reason"] == "locked_out"
    assert not env.requests("start")


# -- item 3: group lookups complete or deny -----------------------------------

def assert_phone_asked(login):
    prompt = login.prompt()["text"]
    assert prompt.startswith("Verify your identity:"), prompt
    return login


def test_required_group_with_2000_members_is_read_whole(env):
    """A big group must not overflow into "not a member" (= exempt). Served
    by tests/pam/nss_casefold.c with glibc's ERANGE contract (nss_wrapper's
    files backend cannot serve a group this big)."""
    env.enroll("alice", {"primary": PRIMARY})
    members = [f"member{i:04d}" for i in range(2000)] + ["alice"]
    big = env.write("group.big", f"mfa-staff:x:3000:{','.join(members)}\n")
    env.set_config(extra='access: { required_groups = [ "mfa-staff" ]; };')
    login = assert_phone_asked(env.login(extra_env=dict(CASEFOLD_NSS, NSS_CASEFOLD_GROUP=big)))
    assert login.finish() == PAM_CONV_ERR
    assert login.outcome()["reason"] == "conversation_error"


def test_user_in_400_groups_is_found_in_the_last(env):
    env.enroll("alice", {"primary": PRIMARY})
    for i in range(400):
        env.groups[f"team{i:03d}"] = (5000 + i, ["alice"])
    env.write_nss()
    env.set_config(extra='access: { required_groups = [ "team398", "team399" ]; };')
    login = assert_phone_asked(env.login())
    assert login.finish() == PAM_CONV_ERR


def test_required_group_that_does_not_exist_denies(env):
    """A typo in required_groups must not exempt everyone."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='access: { required_groups = [ "nosuchgroup" ]; };')
    login = env.login()
    assert login.finish() == PAM_SERVICE_ERR
    assert not login.prompts()
    # The contract's example is "group lookup failed: access.required_groups:
    # group 'nosuchgroup' does not exist"; the setting's name is optional.
    assert any(re.search(r"group lookup failed: .*group 'nosuchgroup' does not exist", line)
               for line in login.logs()), login.logs()
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("error", "group_lookup_failed")
    assert not env.requests()


def test_control_exempt_group_that_does_not_exist_has_no_members(env):
    """Control (passes before and after): a missing exempt or break-glass
    group simply has no members."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='access: { exempt_groups = [ "nosuchgroup" ]; }; '
                         'login: { failmode_safe_groups = [ "nosuchgroup" ]; };')
    login = env.login_with_code()
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["reason"] == "approved"


# -- item 4: lockout with the compiled-in defaults -------------------------------

def failures(env, user="alice"):
    state = env.read_state(user)
    return (state or {}).get("failures", [])


def test_default_lockout_counts_each_wrong_code_at_once(env):
    """No lockout group in the file: failures=5 by default, and each code
    typed is in the state file before the next prompt."""
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer(wrong_code(env))
    assert login.prompt()["text"].startswith("Wrong code, 2 attempts left.")
    assert len(failures(env)) == 1, f"the wrong code is not counted yet: {env.read_state('alice')}"
    login.answer(wrong_code(env))
    assert login.prompt()["text"].startswith("Wrong code, 1 attempt left.")
    assert len(failures(env)) == 2
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    assert failures(env) == [], "an approval refunds the failures"


def test_default_lockout_engages_after_five_wrong_codes(env):
    env.enroll("alice", {"primary": PRIMARY})
    first = env.login()
    first.prompt()
    first.answer("1")
    for _ in range(3):
        first.prompt()
        first.answer(wrong_code(env))
    assert first.finish() == PAM_AUTH_ERR
    assert first.outcome()["reason"] == "wrong_code"
    assert len(failures(env)) == 3
    second = env.login()
    second.prompt()
    second.answer("1")
    for _ in range(2):
        second.prompt()
        second.answer(wrong_code(env))
    assert second.finish() in (PAM_AUTH_ERR, PAM_CONV_ERR)
    assert logged(second, "lockout: user alice locked out for 900 seconds after 5 failed verifications"), \
        second.logs()
    env.network.reset()
    locked = env.login()
    assert locked.finish() == PAM_AUTH_ERR
    assert not locked.prompts()
    assert "Too many failed verifications. Try again in 15 minutes." in locked.messages()
    assert (locked.outcome()["outcome"], locked.outcome()["reason"]) == ("denied", "locked_out")
    assert not env.requests()


def test_abandoning_the_code_prompt_counts_a_failure(env):
    """Disconnecting at the code prompt is a free guess for nobody: a text
    was sent, the login ended without approval."""
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    assert login.prompt()["text"].startswith("Code sent to")
    assert login.finish() == PAM_CONV_ERR
    assert login.outcome()["reason"] == "conversation_error"
    assert len(failures(env)) == 1, env.read_state("alice")


def test_parallel_logins_get_at_most_the_lockout_guesses(env):
    """20 logins at once, each typing wrong codes: together at most
    lockout.failures codes reach the service."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="lockout: { failures = 3; window = 900; duration = 900; }; "
                         "limits: { sends_per_user = 100; };")
    env.relax_timeouts()
    results = []

    def attacker():
        login = env.login()
        chosen = False
        while True:
            event = login.next_event()
            if event["event"] == "result":
                login.wait()
                break
            if event["event"] != "prompt":
                continue
            if event["style"] == "echo_off":
                login.answer(wrong_code(env))
            elif not chosen and event["text"].startswith("Verify your identity:"):
                chosen = True
                login.answer("1")
            else:
                login.finish()
                break
        results.append(login)
    run_parallel(20, attacker)
    checks = env.requests("check")
    assert len(checks) <= 3, f"{len(checks)} code checks reached the service with lockout.failures = 3"
    assert all(login.result in (PAM_AUTH_ERR, PAM_CONV_ERR) for login in results)
    assert any(logged(login, "lockout: user alice locked out for 900 seconds after 3 failed verifications")
               for login in results)
    assert any(login.outcome()["reason"] == "locked_out" for login in results)
    assert env.read_state("alice")["locked_until"] is not None


def test_callers_file_size_limit_has_no_effect_on_the_state(env):
    """`ulimit -f 0` by the invoking user (SIGXFSZ ignored) once made every
    state write fail inside su. The state is phonemfad's now: the caller's
    limits do not reach it, the login works and its send is counted."""
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login_with_code(file_size_limit=0)
    assert login.finish() == PAM_SUCCESS, login.logs()
    assert login.outcome()["reason"] == "approved"
    assert len(env.read_state("alice")["sends"]) == 1


def test_state_that_cannot_be_written_denies(env):
    """The lockout and send limit are on by default: a state write that
    fails must deny, not let unlimited guesses through."""
    env.enroll("alice", {"primary": PRIMARY})
    # The state directory is a file: no state can be read or written.
    os.rmdir(env.state)
    env.write("state", "not a directory\n", 0o600)
    login = env.login()
    while True:
        event = login.next_event()
        if event["event"] == "result":
            login.wait()
            break
        if event["event"] == "prompt":
            if event["text"].startswith("Verify your identity:"):
                login.answer("1")
            else:
                login.answer(env.network.last_code(PRIMARY) or "")
    assert login.result == PAM_SERVICE_ERR, f"{login.result}: {login.logs()}"
    assert logged(login, "state error: ")
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("error", "state_error")
    assert not env.requests("start"), "nothing may be sent when the send cannot be counted"


def test_default_send_limit_refuses_the_eleventh_text_in_an_hour(env):
    env.enroll("alice", {"primary": PRIMARY})
    for _ in range(10):
        assert env.login_with_code().finish() == PAM_SUCCESS
    assert len(env.requests("start")) == 10
    login = env.login()
    login.prompt()
    login.answer("1")
    assert login.finish() == PAM_AUTH_ERR
    assert "Too many texts and calls for your account recently. Try again later." in login.messages()
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("denied", "send_limit")
    assert len(env.requests("start")) == 10


# -- item 6: verify_user = "invoking" -----------------------------------------------

INVOKING = 'login: { verify_user = "invoking"; };'


def test_invoking_exemption_needs_both_accounts_exempt(env):
    """carol (not in the required group) runs su - alice (who is): the
    phone step is not skipped because carol would be exempt on her own."""
    env.enroll("carol", {"primary": CAROL})
    env.enroll("alice", {"primary": PRIMARY})
    env.add_group("mfa-users", 3000, ["alice"])
    env.set_config(extra=INVOKING + ' access: { required_groups = [ "mfa-users" ]; };')
    env.write_stack("su-l")
    login = env.login(user="alice", service="su-l", rhost=None, tty="/dev/pts/1", ruser="carol")
    assert "+X XXXXXXXX42" in assert_phone_asked(login).prompts()[-1]["text"], "carol's phone"
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(CAROL))
    assert login.finish() == PAM_SUCCESS
    outcome = login.outcome()
    assert (outcome["user"], outcome["target"], outcome["reason"]) == ("carol", "alice", "approved")


def test_invoking_remembered_login_carries_the_target(env):
    env.enroll("carol", {"primary": CAROL})
    env.set_config(extra=INVOKING + ' remember: { mode = "always"; key = [ "rhost", "service" ]; };')
    env.write_stack("su-l")
    su = dict(service="su-l", rhost="192.0.2.10", tty="/dev/pts/1", ruser="carol")
    first = env.login_with_code(number=CAROL, user="alice", **su)
    assert first.finish() == PAM_SUCCESS
    assert first.outcome()["reason"] == "approved_and_remembered"
    again = env.login(user="alice", **su)
    assert again.finish() == PAM_SUCCESS and again.outcome()["reason"] == "remembered"
    other = env.login(user="bob", **su)
    assert_phone_asked(other)
    assert other.finish() == PAM_CONV_ERR
    assert other.outcome()["target"] == "bob"


# -- item 7: remembered logins -----------------------------------------------------

def test_remember_key_without_rhost_is_a_config_error(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "ask"; key = [ "service", "tty" ]; };')
    login = env.login()
    assert login.finish() == PAM_SERVICE_ERR
    assert not login.prompts()
    assert any(re.search(r"config error: .*remember\.key'?: must include \"rhost\": service and tty alone "
                         r"do not tell one client from another", line) for line in login.logs()), login.logs()
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("error", "config_error")


def test_phonemfa_setup_never_honours_a_planted_remembered_login(env):
    """An entry as the old code wrote it, keyed on service phonemfa-setup."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "always"; key = [ "rhost", "service" ]; };')
    env.write_stack("phonemfa-setup")
    env.write_state("alice", {"version": 1, "failures": [], "sends": [], "locked_until": None,
                              "remembered": [{"key": "rhost=192.0.2.10;service=phonemfa-setup",
                                              "phones": "p" + PRIMARY, "until": utc(86400)}]})
    login = env.login(service="phonemfa-setup")
    assert_phone_asked(login)
    assert login.finish() == PAM_CONV_ERR
    assert login.outcome()["reason"] != "remembered"


def test_phonemfa_setup_never_honours_a_remembered_ssh_login(env):
    """key = rhost only: the entry the module itself wrote for an ssh login
    from that host must not open phonemfa-setup, nor is one offered there."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='remember: { mode = "always"; key = [ "rhost" ]; };')
    ssh = env.login_with_code()
    assert ssh.finish() == PAM_SUCCESS and ssh.outcome()["reason"] == "approved_and_remembered"
    env.write_stack("phonemfa-setup")
    setup = env.login_with_code(service="phonemfa-setup")
    assert setup.finish() == PAM_SUCCESS
    assert setup.outcome()["reason"] == "approved", "verified, not remembered, not newly remembered"
    assert len(env.requests("start")) == 2


def test_remembered_login_not_honoured_once_the_country_is_disallowed(env):
    env.enroll("alice", {"primary": PRIMARY, "alternate": ALTERNATE})
    remember = 'remember: { mode = "always"; key = [ "rhost" ]; };'
    env.set_config(extra=remember)
    first = env.login_with_code(choice="1", number=PRIMARY)
    assert first.finish() == PAM_SUCCESS and first.outcome()["reason"] == "approved_and_remembered"
    env.set_config(extra=remember + " limits: { countries = [ 44 ]; };")
    login = env.login()
    menu = login.prompt()["text"]
    assert menu.startswith("Verify your identity:") and "XX XXXXXXXX23" in menu, menu
    assert login.finish() == PAM_CONV_ERR
    assert login.outcome()["reason"] != "remembered"


# -- item 8: user names ---------------------------------------------------------------

def test_user_name_in_another_case_is_unknown(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.enroll("ALICE", {"primary": ALTERNATE})  # whatever an old record says
    login = env.login(user="ALICE")
    assert login.finish() == PAM_USER_UNKNOWN
    assert not login.prompts()
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"], outcome["user"]) == ("denied", "unknown_user", "ALICE")
    assert not env.requests()


def test_user_name_is_canonicalised_by_nss(env):
    """With a directory that ignores case (tests/pam/nss_casefold.c), "ALICE"
    is the account alice: verified with alice's phones, logged, counted and
    stored as alice, never through a record named after the typed name."""
    assert os.path.exists(CASEFOLD_NSS["NSS_WRAPPER_MODULE_SO_PATH"]), "run make test-programs"
    env.enroll("alice", {"primary": PRIMARY})
    env.enroll("ALICE", {"primary": ALTERNATE})
    login = env.login(user="ALICE", extra_env=CASEFOLD_NSS)
    menu = login.prompt()["text"]
    assert "+X XXXXXXXX17" in menu and "XXXXXXXX23" not in menu, menu
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["user"] == "alice"
    assert [r["body"]["user"] for r in env.requests("start")] == ["alice"]
    assert env.read_state("ALICE") is None and env.read_state("alice") is not None


def test_phonemfa_setup_names_users_as_a_login_does(env):
    """phonemfa-setup --user ALICE works on the record a login as ALICE
    uses (alice's, through the same NSS lookup), never on one named after
    what was typed; a name NSS does not know is not enrolled."""
    import subprocess
    setup = [os.path.join(BUILD, "phonemfa-setup"), "--socket", env.socket]
    env.enroll("alice", {"primary": PRIMARY})
    env.enroll("ALICE", {"primary": ALTERNATE})
    env.start_daemon(extra_env=CASEFOLD_NSS)
    listing = subprocess.run([*setup, "--user", "ALICE", "list", "--json"], capture_output=True, text=True,
                             timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert '"user": "alice"' in listing.stdout and PRIMARY in listing.stdout and ALTERNATE not in listing.stdout
    added = subprocess.run([*setup, "--user=ALICE", "add", "alternate", ALTERNATE, "--no-verify"],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("alice: alternate phone set to")
    with open(os.path.join(env.store, "alice.json")) as record:
        assert ALTERNATE in record.read()
    ghost = subprocess.run([*setup, "--user", "ghost", "add", "primary", PRIMARY, "--no-verify"],
                           capture_output=True, text=True, timeout=60)
    assert ghost.returncode == 1 and "there is no user ghost on this system" in ghost.stderr
    assert not os.path.exists(os.path.join(env.store, "ghost.json"))
    # check's advice for the record logins never read must not be "--user
    # ALICE reset": that resets alice's own record (and her lockout).
    check = subprocess.run([*setup, "check"], capture_output=True, text=True, timeout=60)
    assert ("PROBLEM  ALICE: the user lookup spells this user differently; logins never read this record\n"
            f"         Delete the file {env.store}/ALICE.json") in check.stdout, check.stdout
    assert "--user ALICE reset" not in check.stdout


# -- item 9 ------------------------------------------------------------------------------

def test_twilio_approved_but_not_valid_is_not_approved(twilio_env):
    env = twilio_env
    env.enroll("alice", {"primary": PRIMARY})
    env.network.add_fault({"kind": "patch", "op": "check", "fields": {"valid": False}})
    login = env.login_with_code()
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("denied", "bad_response")
    assert UNAVAILABLE_MESSAGE in login.messages()


def test_phone_number_in_a_service_error_is_masked_in_the_log(env):
    """The fake, like real services, repeats the number in its error text
    ("+15555550117 is not a valid number"): the log shows only its last 2 digits."""
    env.enroll("alice", {"primary": PRIMARY})
    env.network.number_kinds[PRIMARY] = "invalid"
    login = env.login()
    login.prompt()
    login.answer("1")
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "invalid_number"
    lines = [line for line in login.logs() if "is not a valid number" in line]
    assert lines, login.logs()
    for line in lines:
        assert "5555550117" not in line and "555" not in line, line
        assert re.search(r"\S*17 is not a valid number", line), line
    assert not any("555555" in line for line in login.logs())


def test_token_file_readable_by_group_is_a_config_error(env):
    os.chmod(env.token_file, 0o640)
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    assert login.finish() == PAM_SERVICE_ERR
    assert not login.prompts()
    assert any("config error: " in line and "must be mode 0600" in line for line in login.logs()), \
        login.logs()
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("error", "config_error")


def test_sends_per_user_above_200_is_a_config_error(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra="limits: { sends_per_user = 500; };")
    login = env.login()
    assert login.finish() == PAM_SERVICE_ERR
    assert not login.prompts()
    assert any("config error: " in line and "limits.sends_per_user" in line for line in login.logs()), \
        login.logs()
    assert login.outcome()["reason"] == "config_error"


class SilentListeners:
    """Ports that accept TCP (the kernel completes the handshake) and then
    never say a word: no TLS, no HTTP."""

    def __init__(self, count):
        self.sockets = []
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(16)
            self.sockets.append(sock)

    def urls(self):
        return [f"https://127.0.0.1:{s.getsockname()[1]}" for s in self.sockets]

    def close(self):
        for sock in self.sockets:
            sock.close()


def test_four_silent_urls_take_at_most_request_timeout(env):
    """request_timeout bounds one network operation with its URL failover,
    not each URL: 4 silent URLs must not hold the login 4 x 2 s."""
    env.enroll("alice", {"primary": PRIMARY})
    silent = SilentListeners(4)
    try:
        env.set_config(urls=silent.urls())
        set_timeouts(env, 2)
        login = env.login()
        login.prompt()
        started = time.monotonic()
        login.answer("1")
        result = login.finish()
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert result == PAM_AUTHINFO_UNAVAIL
    assert login.outcome()["reason"] == "service_unavailable"
    margin = 10 if USE_VALGRIND else 3
    assert elapsed <= 2 + margin, f"the start took {elapsed:.1f} s with request_timeout = 2"


def test_stale_temp_files_do_not_break_anything(env):
    """A writer killed between creating its temp file and the rename
    leaves it behind: the next login works, and the next state write
    removes the stale state temp file."""
    env.enroll("alice", {"primary": PRIMARY})
    env.write("store/.alice.json.tmp", '{"version": 1, "phones": {', 0o600)
    stale = env.write("state/.alice.state.tmp", '{"version": 1, "failures": [', 0o600)
    env.set_config(extra="limits: { sends_per_user = 5; };")
    login = env.login_with_code()
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["reason"] == "approved"
    assert len(env.read_state("alice")["sends"]) == 1
    assert not os.path.exists(stale), "the stale .alice.state.tmp is still there after a state write"
    assert not [n for n in os.listdir(env.state) if ".tmp" in n], os.listdir(env.state)
