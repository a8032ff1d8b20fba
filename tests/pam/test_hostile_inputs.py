"""The hostile-input matrix at the PAM level: every input an attacker or a
broken system can put in front of the module (PAM items, menu and code
answers, the configuration, phone records, state and token files) ends in a
clear error (the module's exact log line or message), a denial (never
PAM_SUCCESS, never PAM_IGNORE unless the case is about an exemption) and
nothing lost (the phone record and state file are left as they were).

Each case is one login through the real libpam; nothing here is skipped, and
all of it runs under valgrind too (make check-pam-valgrind)."""
import json
import os
import random
import re
import time

import pytest

from harness import (PAM_AUTH_ERR, PAM_CONV_ERR, PAM_IGNORE, PAM_SERVICE_ERR, PAM_SUCCESS,
                     PAM_USER_UNKNOWN)

PRIMARY = "+15555550117"
OFFICE = "+15555550123"
NOBODY = 65534
# libpam's own audit record of the result fails (EINVAL) when an item is
# kilobytes long, and pam_authenticate then says PAM_SYSTEM_ERR whatever the
# module returned: still a denial; the module's own outcome line is asserted.
PAM_SYSTEM_ERR = 4
KIB = 1024


# -- helpers -------------------------------------------------------------------

def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def snapshot(*paths):
    """What each path is now (bytes, or its kind), to compare after the login."""
    result = {}
    for path in paths:
        if os.path.islink(path):
            result[path] = ("symlink", os.readlink(path))
        elif os.path.isfile(path):
            st = os.stat(path)
            result[path] = (read_bytes(path), st.st_mode, st.st_uid, st.st_nlink)
        elif os.path.exists(path):
            result[path] = ("other", os.stat(path).st_mode)
        else:
            result[path] = None
    return result


def assert_clean_outcome_line(login):
    """One outcome line, one line only, with no control or non-ASCII byte
    and no forged field."""
    lines = login.outcome_lines()
    assert len(lines) == 1, lines
    # phonemfad logs the line ("phonemfad: outcome=..."), or the module when
    # the login never reached it: then the "pam_phonemfa(SERVICE:auth): "
    # prefix is libpam's pam_syslog(), with the service name as the
    # application gave it, and the module's part follows.
    if lines[0].startswith("phonemfad: "):
        line = lines[0][len("phonemfad: "):]
    else:
        line = lines[0][lines[0].index("): outcome=") + 3:]
    assert "\n" not in line and "\r" not in line
    assert all(0x20 <= ord(c) < 0x7f for c in line), repr(line)
    for field in ("outcome=", "reason=", " user=", " service=", " rhost=", " tty="):
        assert line.count(field) == 1, f"{field!r} appears more than once: {line!r}"
    return line


def assert_denied_before_anything(login, pattern, reason, result=PAM_SERVICE_ERR, outcome="error"):
    code = login.finish()
    assert code == result, f"expected {result}, got {code}: {login.logs()}"
    assert code not in (PAM_SUCCESS, PAM_IGNORE)
    assert not login.prompts(), "nothing may be asked"
    if pattern is not None:
        assert any(re.search(pattern, line) for line in login.logs()), \
            f"no log line matches {pattern!r}: {login.logs()}"
    assert_clean_outcome_line(login)
    got = login.outcome()
    assert (got["outcome"], got["reason"]) == (outcome, reason), got


def enroll_alice(env):
    return env.enroll("alice", {"primary": PRIMARY, "office": (OFFICE, "4321")})


# -- 1. hostile PAM items --------------------------------------------------------

INVALID_USERS = [
    "a/b", "../alice", "alice/../root", "..", ".", "/alice", "alice/",
    "al\x01ice", "alice\x1b[2J", "alice\t", "alice\n", "alice\r", "alice\x7f", " alice", "alice ",
    "a" * 65, "a" * 1000, "a@" + "b" * 127, "-alice", "--help", ".alice",
    "\u00e1lice", "\u0430lice", "alice\u200b", "ali$ce", "$alice", "alice$$", "",
    # user@domain names as sssd gives them, but broken: each would mean
    # something else in a path, an LDAP filter or a URL
    "alice@", "@example.com", "alice@@example.com", "alice@example..com", "alice@.example.com",
    "alice@example.com/../x", "alice)(uid=*@example.com", "alice@ex*ample.com", "CORP\\alice",
    "alice@example.com%00", "alice@exam ple.com", "a@b@c",
]


@pytest.mark.parametrize("user", INVALID_USERS, ids=repr)
def test_invalid_user_name_is_denied_and_touches_nothing(env, user):
    path = enroll_alice(env)
    before = snapshot(path, os.path.join(env.state, "alice.state"))
    login = env.login(user=user)
    assert_denied_before_anything(login, None, "invalid_user", result=PAM_AUTH_ERR, outcome="denied")
    assert not env.requests()
    assert snapshot(path, os.path.join(env.state, "alice.state")) == before
    assert os.listdir(env.state) == [], "no state file for an invalid name"


@pytest.mark.parametrize("user", ["a" * 32, "alice$", "Alice", "alice.", "al-ice_"])
def test_well_formed_unknown_user_is_unknown(env, user):
    """The longest name and the forms user_name_is_valid takes: NSS decides,
    and an unknown account is denied, never looked up in the store."""
    enroll_alice(env)
    login = env.login(user=user)
    assert_denied_before_anything(login, None, "unknown_user", result=PAM_USER_UNKNOWN, outcome="denied")
    assert not env.requests()


TRUSTED = 'access: { trusted_networks = [ "192.0.2.0/24", "fe80::/10" ]; };'
HOSTILE_RHOSTS = [
    "192.0.2.10 ", " 192.0.2.10", "192.0.2.10\t", "192.0.2.10\n", "192.0.2.10\nreason=approved",
    '"192.0.2.10"', "'192.0.2.10'", '192.0.2.10" outcome=success', "192.0.2.10:22", "192.0.2.10/8",
    "192.0.2.010", "3221225994", "0xc000020a", "192.0.2.10.evil.example", "[192.0.2.10]",
    "x" * (10 * KIB), "192.0.2.10" + " " * (10 * KIB), "fe80::1%eth0", "fe80::1%1", "[fe80::1]",
    "fe80::1\x1b[2J",
]


@pytest.mark.parametrize("rhost", HOSTILE_RHOSTS, ids=lambda r: repr(r[:40]))
def test_hostile_remote_host_is_not_trusted_and_cannot_forge_the_log(env, rhost):
    """Trusted networks are matched on an exact address only: a host that
    merely looks like a trusted address is asked for the phone."""
    path = enroll_alice(env)
    env.set_config(extra=TRUSTED)
    before = snapshot(path)
    login = env.login(rhost=rhost)
    assert login.prompt()["text"].startswith("Verify your identity:\n"), "the phone must be asked"
    assert login.finish() == (PAM_SYSTEM_ERR if len(rhost) > KIB else PAM_CONV_ERR)
    line = assert_clean_outcome_line(login)
    shown = re.search(r" rhost=(\S*) tty=", line).group(1)
    assert len(shown) <= 127 and not re.search(r'["\\= ]', shown), shown
    assert login.outcome()["reason"] == "conversation_error"
    assert not env.requests()
    assert snapshot(path) == before


def test_control_ipv4_mapped_trusted_address_is_an_exemption(env):
    """The one exemption in this group: ::ffff:192.0.2.10 is 192.0.2.10."""
    enroll_alice(env)
    env.set_config(extra=TRUSTED)
    login = env.login(rhost="::ffff:192.0.2.10")
    login.finish()
    assert login.module_result() == PAM_IGNORE
    assert login.outcome()["outcome"] == "ignored"
    assert not login.prompts()


@pytest.mark.parametrize("tty", ["\x1b]0;owned\x07", "/dev/pts/1\x1b[2J\x1b[H", "pts/1\u009b31m",
                                 "ssh\nreason=approved", "t" * (10 * KIB)], ids=repr)
def test_hostile_tty_is_sanitised(env, tty):
    enroll_alice(env)
    login = env.login(tty=tty)
    login.prompt()
    assert login.finish() == (PAM_SYSTEM_ERR if len(tty) > KIB else PAM_CONV_ERR)
    line = assert_clean_outcome_line(login)
    shown = re.search(r" tty=(\S*) phone=", line).group(1)
    assert len(shown) <= 63 and "\x1b" not in shown, shown


@pytest.mark.parametrize("service", ["sshd=evil", "sshd outcome=success", "su\x1b[2J"], ids=repr)
def test_hostile_service_name_is_sanitised(env, service):
    enroll_alice(env)
    env.write_stack(service.lower())
    login = env.login(service=service)
    assert login.prompt()["text"].startswith("Verify your identity:")
    assert login.finish() == PAM_CONV_ERR
    line = assert_clean_outcome_line(login)
    shown = re.search(r" service=(\S*) rhost=", line).group(1)
    assert "=" not in shown and " " not in shown, shown


# -- 2. hostile menu and code answers ----------------------------------------------

HOSTILE_CHOICES = [
    "\x1b[A", "\x1b[2J\x1b[H1", "1\x1b[D", "\x1b", "9" * (10 * KIB), "1" * (10 * KIB),
    "+1", "1.0", "1,0", "\uff10", "\uff13", "\uff11\uff11", "\uff11\x80", "\u0661", "-1", "00001", "001", "0x1", "1e0", "1\r", "\r",
    "3", "99", "4294967297", "1 2", "one", "\u00a01",
]


@pytest.mark.parametrize("answer", HOSTILE_CHOICES, ids=lambda a: repr(a[:20]))
def test_hostile_menu_answer_is_refused_and_sends_nothing(env, answer):
    path = env.enroll("alice", {"primary": PRIMARY})
    before = snapshot(path)
    login = env.login()
    for attempt in range(3):
        prompt = login.prompt()["text"]
        if attempt:
            assert prompt.startswith("Please enter a number from 1 to 2.\nVerify your identity:"), prompt
        login.answer(answer)
    assert login.finish() == PAM_AUTH_ERR
    assert "No valid choice was made." in login.messages()
    assert_clean_outcome_line(login)
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("denied", "invalid_choice")
    assert not env.requests(), "nothing is sent for an invalid choice"
    assert snapshot(path) == before


@pytest.mark.parametrize("answer", [" ", "   ", "\t", " \t "])
def test_menu_answer_of_only_blanks_is_enter(env, answer):
    """Blanks are what Enter is: the preferred method (here the first), as
    pam_phonemfa(8) says; the login still needs the code."""
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer(answer)
    assert login.prompt()["text"].startswith("Code sent to +X XXXXXXXX17.")
    assert login.finish() == PAM_CONV_ERR
    assert [r["body"]["channel"] for r in env.requests("start")] == ["text"]


def test_full_width_digits_are_the_digits(env):
    """Japanese input methods type full-width digits (U+FF10-FF19): a menu
    number or a code typed so is the number or the code (issue 14). Other
    scripts' digits are still refused (HOSTILE_CHOICES, MALFORMED_CODES)."""
    full_width = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("\uff12")
    assert login.prompt()["text"].startswith("Calling +X XXXXXXXX17.")
    login.answer("")
    login.prompt()
    login.answer("\uff11")
    login.prompt()
    code = env.network.last_code(PRIMARY)
    login.answer(code.translate(full_width))
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["reason"] == "approved"
    assert [r["body"]["channel"] for r in env.requests("start")] == ["call", "text"]


# Spaces and hyphens are how people group a code: they are dropped, and
# what is left is checked like any code (see test_grouped_code_is_the_code).
MALFORMED_CODES = [
    "\x1b[2J", "{code}\x1b[D", "\x1b[2J{code}", "{code}\r", "{code}\t",
    "1" * (10 * KIB), "   ", " - ", "+123456", "123.456", "1.0", "12_3456", "1 2-3", "123",
    "12345\u0666", "\uff11\uff12\uff13", "c\u00f6de12", "1" * 17, "{code}0000000000000",
    "123456;", "123456\x7f",
]


@pytest.mark.parametrize("answer", ["{code} ", " {code}", "-{code}", "{code}-", "{c1} {c2}", "{c1}-{c2}",
                                    " {c1} - {c2} "])
def test_grouped_code_is_the_code(env, answer):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    code = env.network.last_code(PRIMARY)
    login.answer(answer.format(code=code, c1=code[:3], c2=code[3:]))
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["reason"] == "approved"
    assert not any(code in line for line in login.logs())


@pytest.mark.parametrize("answer", MALFORMED_CODES, ids=lambda a: repr(a[:20]))
def test_malformed_code_is_wrong_and_never_reaches_the_service(env, answer):
    """Only 4 to 16 letters and digits are a code: anything else (even the
    right code wrapped in an escape sequence or a blank) is a wrong code,
    counted, and not sent to the service."""
    path = env.enroll("alice", {"primary": PRIMARY})
    before = snapshot(path)
    login = env.login()
    login.prompt()
    login.answer("1")
    code = None
    for left in (None, 2, 1):
        prompt = login.prompt()
        code = code or env.network.last_code(PRIMARY)
        assert prompt["style"] == "echo_off"
        if left:
            assert prompt["text"].startswith(f"Wrong code, {left} attempt{'s' if left > 1 else ''} left.")
        login.answer(answer.replace("{code}", code))
    assert login.finish() == PAM_AUTH_ERR
    assert "Too many wrong codes." in login.messages()
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("denied", "wrong_code")
    assert not env.requests("check"), "a malformed code must not reach the service"
    assert len(env.requests("cancel")) == 1
    assert len(env.read_state("alice")["failures"]) == 3, "each answer counts as a failure"
    assert snapshot(path) == before


@pytest.mark.parametrize("answer", ["abcdef", "ABCDEF", "1" * 16, "0x1234"])
def test_well_formed_wrong_code_with_letters_is_asked_of_the_service(env, answer):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    for _ in range(3):
        login.prompt()
        login.answer(answer)
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "wrong_code"
    assert len(env.requests("check")) == 3, "a well-formed code is the service's to judge"


def test_empty_code_goes_back_and_the_verifications_are_bounded(env):
    path = env.enroll("alice", {"primary": PRIMARY})
    before = snapshot(path)
    login = env.login()
    for _ in range(3):
        assert login.prompt()["text"].startswith("Verify your identity:")
        login.answer("1")
        assert login.prompt()["text"].startswith("Code sent to")
        login.answer("")
    assert login.finish() == PAM_AUTH_ERR
    assert "No more verification attempts for this login." in login.messages()
    assert login.outcome()["reason"] == "verifications_exhausted"
    assert not env.requests("check")
    assert len(env.requests("cancel")) == 3
    assert snapshot(path) == before


# -- 3. hostile configuration files -------------------------------------------------

def set_setting(text, group, name, value):
    """The configuration text with group.name = value, replacing the
    setting when the group already has it."""
    match = re.search(rf"(?m)^{group}:\s*\{{", text)
    if match is None:
        return text + f"\n{group}: {{ {name} = {value}; }};\n"
    depth, end = 0, match.end() - 1
    for end in range(match.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    body = text[match.end():end]
    setting = re.compile(rf"\b{name}\s*=\s*[^;]*;")
    body = setting.sub(lambda _: f"{name} = {value};", body, count=1) if setting.search(body) \
        else f" {name} = {value};" + body
    return text[:match.end()] + body + text[end:]


def config_denied(env, pattern):
    """As bob, not enrolled, with unenrolled=ignore in the stack: a config
    the module half-read would let him through with PAM_IGNORE."""
    env.module_args += " unenrolled=ignore"
    env.write_stack("sshd")
    login = env.login(user="bob")
    assert_denied_before_anything(login, pattern, "config_error")
    return login


WRONG_TYPES = [
    ("service", "provider", "1", "must be a string in double quotes"),
    ("service", "urls", '"https://127.0.0.1"', r"must be a list of strings: \[\"https://...\"\]"),
    ("service", "urls", "[ 1 ]", "must be a list of strings"),
    ("service", "urls", "{ a = 1; }", "must be a list of strings"),
    ("service", "token_file", "5", "must be a string in double quotes"),
    ("service", "ca_file", "true", "must be a string in double quotes"),
    ("service", "connect_timeout", '"2"', "must be a number of seconds"),
    ("service", "request_timeout", "[ 4 ]", "must be a number of seconds"),
    ("login", "code_attempts", "3.0", "must be a whole number"),
    ("login", "verifications_per_login", "true", "must be a whole number"),
    ("login", "menu_attempts", '"3"', "must be a whole number"),
    ("login", "call_answer_timeout", '"90"', "must be a number of seconds"),
    ("login", "poll_interval", "false", "must be a number of seconds"),
    ("login", "failmode", "0", "must be a string in double quotes"),
    ("login", "unenrolled", '[ "deny" ]', "must be a string in double quotes"),
    ("login", "default_country_code", '"1"', "must be a whole number"),
    ("login", "locale", "5", "must be a string in double quotes"),
    ("login", "verify_user", "true", "must be a string in double quotes"),
    ("login", "failmode_safe_groups", '"wheel"', r"must be a list: \[ \.\.\. \]"),
    ("login", "failmode_safe_groups", "[ 1 ]", "must hold strings"),
    ("store", "directory", "1", "must be a string in double quotes"),
    ("state", "directory", '[ "/tmp" ]', "must be a string in double quotes"),
    ("lockout", "failures", '"5"', "must be a whole number"),
    ("lockout", "window", '"900"', "must be a number of seconds"),
    ("lockout", "duration", "true", "must be a number of seconds"),
    ("limits", "sends_per_user", "1.5", "must be a whole number"),
    ("limits", "window", '"3600"', "must be a number of seconds"),
    ("limits", "countries", "1", r"must be a list: \[ \.\.\. \]"),
    ("limits", "countries", '[ "1" ]', r"must hold country calling codes \(numbers\)"),
    ("limits", "channels", '"text"', r"must be a list: \[ \.\.\. \]"),
    ("remember", "mode", "1", "must be a string in double quotes"),
    ("remember", "days", '"7"', "must be a whole number"),
    ("remember", "key", '"rhost"', r"must be a list: \[ \.\.\. \]"),
    ("access", "exempt_users", '"bob"', r"must be a list: \[ \.\.\. \]"),
    ("access", "exempt_groups", "1", r"must be a list: \[ \.\.\. \]"),
    ("access", "required_groups", "true", r"must be a list: \[ \.\.\. \]"),
    ("access", "trusted_networks", '"0.0.0.0/0"', r"must be a list: \[ \.\.\. \]"),
    ("texts", "menu_header", "1", "must be a string in double quotes"),
    ("texts", "menu_footer", "[ ]", "must be a string in double quotes"),
    ("setup", "self_service_slots", '"alternate"', r"must be a list: \[ \.\.\. \]"),
    ("setup", "self_register", '"yes"', "must be true or false"),
]


@pytest.mark.parametrize("group,name,value,message", WRONG_TYPES, ids=lambda v: str(v)[:24])
def test_setting_of_the_wrong_type(env, group, name, value, message):
    env.set_config(text=set_setting(open(env.config_path).read(), group, name, value))
    config_denied(env, re.escape(f"config error: {env.config_path}:") + r"\d+: " +
                  re.escape(f"setting '{group}.{name}': ") + message)


OUT_OF_RANGE = [
    # huge numbers (and no truncation to 32 bits on the way)
    ("login", "code_attempts", "9223372036854775807L", "must be from 1 to 10"),
    ("login", "code_attempts", "4294967297L", "must be from 1 to 10"),
    ("login", "code_attempts", "99999999999999999999999", "must be from 1 to 10"),
    ("lockout", "failures", "4294967296L", "must be from 0 to 200"),
    ("limits", "sends_per_user", "4294967296L", "must be from 0 to 200"),
    ("remember", "days", "2147483648L", "must be from 1 to 90"),
    ("login", "default_country_code", "4294967297L", "must be from 1 to 999"),
    ("login", "call_answer_timeout", "1e308", "must be from 5 to 300 seconds"),
    ("service", "connect_timeout", "0x7FFFFFFFFFFFFFFFL", "must be from 0.1 to 60 seconds"),
    # negative durations and counts
    ("lockout", "window", "-900", "must be from 10 to 604800 seconds"),
    ("lockout", "duration", "-1.5", "must be from 10 to 604800 seconds"),
    ("limits", "window", "-3600", "must be from 10 to 604800 seconds"),
    ("service", "connect_timeout", "-2", "must be from 0.1 to 60 seconds"),
    ("service", "request_timeout", "-0.0", "must be from 0.5 to 120 seconds"),
    ("login", "poll_interval", "-0.2", "must be from 0.2 to 30 seconds"),
    ("login", "call_answer_timeout", "-90", "must be from 5 to 300 seconds"),
    ("remember", "days", "-7", "must be from 1 to 90"),
    ("lockout", "failures", "-1", "must be from 0 to 200"),
    ("login", "menu_attempts", "-2147483648", "must be from 1 to 10"),
    # NaN-like values
    ("login", "poll_interval", '"NaN"', "must be a number of seconds"),
    ("login", "poll_interval", '"inf"', "must be a number of seconds"),
]


@pytest.mark.parametrize("group,name,value,message", OUT_OF_RANGE, ids=lambda v: str(v)[:24])
def test_setting_out_of_range(env, group, name, value, message):
    env.set_config(text=set_setting(open(env.config_path).read(), group, name, value))
    config_denied(env, re.escape(f"config error: {env.config_path}:") + r"\d+: " +
                  re.escape(f"setting '{group}.{name}': ") + message)


SYNTAX_ERRORS = [
    "login: { poll_interval = nan; };",
    "login: { poll_interval = inf; };",
    "login: { poll_interval = -nan; };",
    "login: { code_attempts = 3; }; login: { menu_attempts = 3; };",
    "login: { code_attempts = 3; code_attempts = 10; };",
    "lockout: { failures = 3; }; lockout: { failures = 3; };",
    "texts: { menu_header = \"unterminated; };",
    "a = " + "[" * 20000 + "]" * 20000 + ";",
]


@pytest.mark.parametrize("extra", SYNTAX_ERRORS, ids=lambda v: v[:40])
def test_syntax_errors_and_duplicate_groups(env, extra):
    env.set_config(extra=extra)
    config_denied(env, re.escape(f"config error: {env.config_path}:") + r"\d+: syntax error: ")


@pytest.mark.parametrize("extra,name", [
    ("debug = true;", "debug"),
    ("Login: { code_attempts = 3; };", "Login"),
    ("login: { failmode_safe = true; };", "login.failmode_safe"),
    ("lockout: { failures = 3; exempt = true; };", "lockout.exempt"),
    ("access: { trusted_networks = [ \"10.0.0.0/8\" ]; trusted_users = [ \"bob\" ]; };", "access.trusted_users"),
])
def test_unknown_settings(env, extra, name):
    env.set_config(extra=extra)
    config_denied(env, re.escape(f"config error: {env.config_path}:") + r"\d+: " +
                  re.escape(f"setting '{name}': unknown setting"))


@pytest.mark.parametrize("extra", [
    '@include "/etc/passwd"',
    '   \t@include "/tmp/other.conf"',
    'login: { code_attempts = 3; };\n@include "/tmp/other.conf"\n',
    '@include"/tmp/other.conf"',
])
def test_include_is_refused(env, extra):
    env.set_config(extra=extra)
    config_denied(env, re.escape(f"config error: {env.config_path}:") +
                  r"\d+: @include is not allowed: keep the configuration in one file")


@pytest.mark.parametrize("extra", [
    'login: { code_attempts = 3; }; @include "/tmp/other.conf"',
    '/* a comment */ @include "/tmp/other.conf"',
    '@INCLUDE "/tmp/other.conf"',
    '\r@include "/tmp/other.conf"',
])
def test_include_where_refuse_includes_does_not_look_is_still_an_error(env, extra):
    """Not at the start of a line: libconfig must not take it either. The
    file named exists and is valid, so an include that was followed would
    parse (and let bob through with PAM_IGNORE)."""
    other = env.write("etc/other.conf", 'texts: { menu_footer = "included"; };\n')
    env.set_config(extra=extra.replace("/tmp/other.conf", other))
    login = config_denied(env, re.escape(f"config error: {env.config_path}:") + r"\d+: syntax error: ")
    assert not any("include" in line for line in login.logs()), login.logs()


def test_config_of_300_kib(env):
    env.set_config(text=open(env.config_path).read() + "#" * (300 * KIB) + "\n")
    config_denied(env, re.escape(f"config error: {env.config_path}: larger than 262144 bytes"))


@pytest.mark.parametrize("seed", [1, 2])
def test_config_of_binary_garbage_with_nul_bytes(env, seed):
    garbage = bytes(random.Random(seed).randrange(256) for _ in range(4 * KIB)) + b"\0"
    with open(env.config_path, "wb") as f:
        f.write(garbage)
    config_denied(env, re.escape(f"config error: {env.config_path}: contains a NUL byte"))


@pytest.mark.parametrize("seed", [3, 4])
def test_config_of_binary_garbage(env, seed):
    garbage = bytes(random.Random(seed).randrange(1, 256) for _ in range(4 * KIB))
    with open(env.config_path, "wb") as f:
        f.write(garbage)
    config_denied(env, re.escape(f"config error: {env.config_path}:") + r"\d+: (syntax error|@include)")


def test_config_with_a_byte_order_mark(env):
    with open(env.config_path, "rb") as f:
        text = f.read()
    with open(env.config_path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + text)
    config_denied(env, re.escape(f"config error: {env.config_path}:") + r"\d+: syntax error")


def replace_with(env, kind):
    """Puts something other than a root-owned regular file at the config path."""
    path = env.config_path
    text = open(path).read()
    if kind == "directory":
        os.remove(path)
        os.mkdir(path, 0o755)
        return "not a regular file"
    if kind == "fifo":
        os.remove(path)
        os.mkfifo(path, 0o644)
        return "not a regular file"
    if kind == "symlink":
        real = env.write("etc/real.conf", text)
        os.remove(path)
        os.symlink(real, path)
        return "is a symlink"
    if kind == "symlink to /dev/zero":
        os.remove(path)
        os.symlink("/dev/zero", path)
        return "is a symlink"
    if kind == "hard link":
        os.link(path, os.path.join(env.etc, "copy.conf"))
        return "has 2 hard links, expected 1"
    if kind == "other uid":
        os.chown(path, NOBODY, 0)
        return "not owned by root (owner uid 65534)"
    if kind == "mode 0666":
        os.chmod(path, 0o666)
        return "writable by group or others (mode 0666)"
    if kind == "mode 0620":
        os.chmod(path, 0o620)
        return "writable by group or others (mode 0620)"
    if kind == "setuid 4666":
        os.chmod(path, 0o4666)
        return "writable by group or others (mode 4666)"
    if kind == "empty":
        open(path, "w").close()
        return "setting 'service': is required"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink", "symlink to /dev/zero", "hard link",
                                  "other uid", "mode 0666", "mode 0620", "setuid 4666", "empty"])
def test_config_file_that_is_not_a_safe_regular_file(env, kind):
    message = replace_with(env, kind)
    config_denied(env, re.escape(f"config error: {env.config_path}: {message}"))


def test_config_path_is_a_device(env):
    env.daemon_config = "/dev/zero"
    config_denied(env, re.escape("config error: /dev/zero: not a regular file"))


def test_config_directory_is_a_symlink(env):
    real = env.etc + ".real"
    os.rename(env.etc, real)
    os.symlink(real, env.etc)
    config_denied(env, re.escape(f"config error: {env.etc}: is a symlink or not a directory"))


@pytest.mark.parametrize("argument", ["conf=relative.conf", "conf=", "conf", "CONF=/etc/phonemfa.conf",
                                      "unenrolled=allow", "debug\x1b[2J"])
def test_hostile_module_argument(env, argument):
    env.module_args = f"socket={env.socket} {argument}"
    env.write_stack("sshd")
    login = env.login(user="bob")
    assert_denied_before_anything(login, re.escape(f"config error: unknown module argument '{argument}'"),
                                  "config_error")


# -- token files ---------------------------------------------------------------------

TOKEN_LINE = "must hold one token line of printable characters without spaces"


@pytest.mark.parametrize("content,message", [
    ("", TOKEN_LINE), ("\n", TOKEN_LINE), ("\r\n", TOKEN_LINE), ("first\nsecond\n", TOKEN_LINE),
    ("tok en\n", TOKEN_LINE), ("\ttoken\n", TOKEN_LINE), ("token \n", TOKEN_LINE),
    ("token\x1b[2J\n", TOKEN_LINE), ("x" * 2049 + "\n", TOKEN_LINE),
    ("x" * (5 * KIB), "larger than 4096 bytes"), ("tok\0en\n", "contains a NUL byte"),
], ids=lambda v: repr(v)[:20])
def test_hostile_token_file_content(env, content, message):
    with open(env.token_file, "w") as f:
        f.write(content)
    if message == TOKEN_LINE:
        pattern = re.escape(f"config error: {env.config_path}: service.token_file: {env.token_file} {TOKEN_LINE}")
    else:
        pattern = re.escape(f"config error: {env.config_path}: service.token_file: {env.token_file}: {message}")
    config_denied(env, pattern)


def test_token_with_non_ascii_is_refused_by_the_service(env):
    """Bytes above 0x7e pass the token check: the service refuses the token."""
    with open(env.token_file, "w") as f:
        f.write("t\u00f6ken\n")
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert login.outcome()["outcome"] == "denied"


def token_replaced(env, kind):
    path = env.token_file
    if kind == "mode 0660":
        os.chmod(path, 0o660)
        return "writable by group or others (mode 0660)"
    if kind in ("mode 0644", "mode 0640", "mode 0604"):
        mode = int(kind.split()[1], 8)
        os.chmod(path, mode)
        return (f"holds a secret but group or others have access (mode {mode:04o}); "
                "it must be mode 0600")
    if kind == "symlink":
        real = env.write("etc/real.token", open(path).read(), 0o600)
        os.remove(path)
        os.symlink(real, path)
        return "is a symlink"
    if kind == "hard link":
        os.link(path, os.path.join(env.etc, "token.copy"))
        return "has 2 hard links, expected 1"
    if kind == "fifo":
        os.remove(path)
        os.mkfifo(path, 0o600)
        return "not a regular file"
    if kind == "directory":
        os.remove(path)
        os.mkdir(path, 0o700)
        return "not a regular file"
    if kind == "other uid":
        os.chown(path, NOBODY, 0)
        return "not owned by root (owner uid 65534)"
    if kind == "missing":
        os.remove(path)
        return "No such file or directory"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["mode 0644", "mode 0640", "mode 0604", "mode 0660", "symlink", "hard link",
                                  "fifo", "directory", "other uid", "missing"])
def test_token_file_that_is_not_private(env, kind):
    message = token_replaced(env, kind)
    config_denied(env, re.escape(f"config error: {env.config_path}: service.token_file: {env.token_file}: "
                                 f"{message}"))


def test_token_file_relative_path(env):
    env.set_config(text=open(env.config_path).read().replace(f'"{env.token_file}"', '"service.token"'))
    config_denied(env, re.escape(f"config error: {env.config_path}:") + r"\d+: " +
                  re.escape("setting 'service.token_file': must be an absolute path"))


# -- 4. hostile phone records ----------------------------------------------------------

def record_error(env, pattern, user="alice"):
    """failmode safe and unenrolled ignore: a broken record must still deny."""
    env.set_config(extra='login: { failmode = "safe"; unenrolled = "ignore"; };')
    path = os.path.join(env.store, f"{user}.json")
    before = snapshot(path)
    login = env.login(user=user)
    assert_denied_before_anything(login, pattern, "store_error")
    assert not env.requests()
    assert snapshot(path) == before, "the record must be left as it was"
    return login


def base_record():
    entry = {"number": PRIMARY, "channels": ["text", "call"], "verified_by": "text",
             "verified_at": "2026-11-01T10:00:00Z", "added_by": "alice", "added_at": "2026-11-01T10:00:00Z"}
    office = dict(entry, number=OFFICE, extension="4321", channels=["call"], verified_by="call")
    return {"version": 1, "phones": {"primary": entry, "office": office},
            "preferred": {"slot": "primary", "channel": "text"}}


def primary(**fields):
    def change(record):
        record["phones"]["primary"].update(fields)
    return change


def office(**fields):
    def change(record):
        record["phones"]["office"].update(fields)
    return change


def top(**fields):
    def change(record):
        record.update(fields)
    return change


NOT_E164 = "phones.primary.number: not a valid E.164 number or extension"
UTC = "must be a UTC time like 2026-01-31T12:00:00Z"
RECORD_MUTATIONS = [
    # wrong types
    (top(version="1"), "version: must be 1"),
    (top(version=1.0), "version: must be 1"),
    (top(version=True), "version: must be 1"),
    (top(version=None), "version: must be 1"),
    (top(phones=[]), "phones: missing or not an object"),
    (top(phones="primary"), "phones: missing or not an object"),
    (lambda r: r["phones"].update(primary="+15555550117"), "phones.primary: must be an object"),
    (primary(number=15555550117), "phones.primary.number: missing or not a string"),
    (primary(number=None), "phones.primary.number: missing or not a string"),
    (office(extension=4321), "phones.office.extension: not a string"),
    (primary(channels="text"), 'phones.primary.channels: must be a list of "text"/"call"'),
    (primary(channels=["text", "call", "text"]), 'phones.primary.channels: must be a list of "text"/"call"'),
    (primary(channels=["text", "text"]), "phones.primary.channels: channel listed twice"),
    (primary(channels=[1]), "phones.primary.channels: unknown channel"),
    (primary(channels=["TEXT"]), "phones.primary.channels: unknown channel"),
    (primary(verified_by=True), 'phones.primary.verified_by: must be "text", "call" or "none"'),
    (primary(verified_by="sms"), 'phones.primary.verified_by: must be "text", "call" or "none"'),
    (primary(verified_at=0), "phones.primary.verified_at: " + UTC),
    (primary(verified_by="none"), "phones.primary.verified_at: must be null for an unverified phone"),
    (primary(added_by=5), "phones.primary.added_by: must be a user name"),
    (primary(added_by="root\x1b[2J"), "phones.primary.added_by: must be a user name"),
    (primary(added_at=None), "phones.primary.added_at: " + UTC),
    (top(preferred="primary"), r'preferred: must be {"slot": ..., "channel": "text"|"call"}'),
    (top(preferred={"slot": "primary", "channel": "text", "x": 1}),
     r'preferred: must be {"slot": ..., "channel": "text"|"call"}'),
    (top(preferred={"slot": "office", "channel": "text"}),
     "preferred: names a phone or channel that is not registered"),
    # unknown fields
    (top(comment="hello"), "unknown field 'comment'"),
    (primary(note="x"), "phones.primary: unknown field 'note'"),
    (top(**{"\x1b[2Jevil": 1}), "unknown field '?[2Jevil'"),
    (top(**{"x" * 100: 1}), "unknown field '" + "x" * 40 + "'"),
    (lambda r: r["phones"].update(Primary=r["phones"]["primary"]), "phones: unknown slot 'Primary'"),
    # numbers that are not E.164
    (primary(number="+1 555 555 0117"), NOT_E164),
    (primary(number="15555550117"), NOT_E164),
    (primary(number="+15555550117x1"), NOT_E164),
    (primary(number="+0123456789"), NOT_E164),
    (primary(number="+1555555011799999"), NOT_E164),
    (primary(number="tel:+15555550117"), NOT_E164),
    (primary(number="+1555555O117"), NOT_E164),
    (primary(number="+\uff11\uff15\uff15\uff15\uff15\uff15\uff15\uff10\uff11\uff11\uff17"), NOT_E164),
    (primary(number="+10555550117"), NOT_E164),
    (primary(number="+"), NOT_E164),
    (primary(number=""), NOT_E164),
    (primary(number="+15555550117\n"), NOT_E164),
    (primary(number="+-15555550117"), NOT_E164),
    # extensions on phones that are not the office phone, and bad extensions
    (primary(extension="123"), "phones.primary: only the office phone may have an extension"),
    (lambda r: r["phones"].update(alternate=dict(r["phones"]["office"], channels=["text", "call"],
                                                 verified_by="text")),
     "phones.alternate: only the office phone may have an extension"),
    (office(extension="12a"), "phones.office.number: not a valid E.164 number or extension"),
    (office(extension="12345678901"), "phones.office.number: not a valid E.164 number or extension"),
    (office(extension=""), "phones.office.number: not a valid E.164 number or extension"),
    (office(extension="-1"), "phones.office.number: not a valid E.164 number or extension"),
    (office(channels=["text", "call"]), "phones.office: an office phone takes calls only"),
    # times before 1970, after 9999, and not times
    (primary(verified_at="1969-12-31T23:59:59Z"), "phones.primary.verified_at: " + UTC),
    (primary(added_at="0000-01-01T00:00:00Z"), "phones.primary.added_at: " + UTC),
    (primary(added_at="10000-01-01T00:00:00Z"), "phones.primary.added_at: " + UTC),
    (primary(verified_at="9999-12-31T23:59:61Z"), "phones.primary.verified_at: " + UTC),
    (primary(verified_at="2026-02-30T00:00:00Z"), "phones.primary.verified_at: " + UTC),
    (primary(verified_at="2026-11-01T10:00:00+00:00"), "phones.primary.verified_at: " + UTC),
    (primary(verified_at="2026-11-01 10:00:00Z"), "phones.primary.verified_at: " + UTC),
    (primary(verified_at="-001-11-01T10:00:00Z"), "phones.primary.verified_at: " + UTC),
]


@pytest.mark.parametrize("mutation,message", RECORD_MUTATIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_hostile_phone_record(env, mutation, message):
    record = base_record()
    mutation(record)
    env.write_record("alice", json.dumps(record))
    record_error(env, re.escape(f"store error: phone record {env.store}/alice.json: {message}"))


def test_record_far_in_the_future_is_valid_control(env):
    """9999-12-31T23:59:59Z is the last time a record may hold."""
    record = base_record()
    record["phones"]["primary"]["added_at"] = "9999-12-31T23:59:59Z"
    env.write_record("alice", json.dumps(record))
    login = env.login()
    assert login.prompt()["text"].startswith("Verify your identity:")
    assert login.finish() == PAM_CONV_ERR


def raw_record(env, kind):
    """A record file that is broken as a file. Returns the expected message."""
    good = json.dumps(base_record())
    path = os.path.join(env.store, "alice.json")
    if kind == "5 MB":
        env.write_record("alice", good + " " * (5 * KIB * KIB))
        return "larger than 65536 bytes"
    if kind == "symlink":
        env.write_record("bob", good)
        os.symlink(os.path.join(env.store, "bob.json"), path)
        return "is a symlink"
    if kind == "symlink to /dev/zero":
        os.symlink("/dev/zero", path)
        return "is a symlink"
    if kind == "hard link":
        env.write_record("alice", good)
        os.link(path, os.path.join(env.store, "bob.json"))
        return "has 2 hard links, expected 1"
    if kind == "fifo":
        os.mkfifo(path, 0o600)
        return "not a regular file"
    if kind == "directory":
        os.mkdir(path, 0o700)
        return "not a regular file"
    if kind == "owner not root":
        env.write_record("alice", good)
        os.chown(path, 1001, 1001)
        return "not owned by root (owner uid 1001)"
    if kind == "group-writable":
        env.write_record("alice", good, 0o620)
        return "writable by group or others (mode 0620)"
    if kind == "world-writable":
        env.write_record("alice", good, 0o606)
        return "writable by group or others (mode 0606)"
    if kind == "NUL bytes":
        env.write_record("alice", good[:-1] + "\0}")
        return "contains a NUL byte"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["5 MB", "symlink", "symlink to /dev/zero", "hard link", "fifo", "directory",
                                  "owner not root", "group-writable", "world-writable", "NUL bytes"])
def test_record_file_that_is_not_a_safe_regular_file(env, kind):
    message = raw_record(env, kind)
    record_error(env, re.escape(f"store error: phone record {env.store}/alice.json: {message}"))


@pytest.mark.parametrize("text", [
    '{"version": 1, "version": 1, "phones": {}}',
    '{"version": 1, "phones": {"primary": {"number": "+15555550117", "number": "+15555550119"}}}',
    '{"version": 1, "phones": {"primary": {"number": "+1555555\\u00000117"}}}',
    b'{"version": 1, "phones": {"\xff\xfe": {}}}',
    b'\xef\xbb\xbf{"version": 1}',
    "[" * 5000 + "]" * 5000,
    "",
    '{"version": 1, "phones": {"primary": ',
    "{'version': 1}",
    "null", '"record"', "1",
], ids=lambda v: repr(v)[:30])
def test_record_that_is_not_valid_json(env, text):
    with open(os.path.join(env.store, "alice.json"), "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    os.chmod(os.path.join(env.store, "alice.json"), 0o600)
    login = record_error(env, re.escape(f"store error: phone record {env.store}/alice.json: not valid JSON (line "))
    assert all(0x20 <= ord(c) < 0x7f for line in login.logs() for c in line)


@pytest.mark.parametrize("text", ["[]", '[{"version": 1}]'])
def test_record_that_is_not_an_object(env, text):
    env.write_record("alice", text)
    record_error(env, re.escape(f"store error: phone record {env.store}/alice.json: not a JSON object"))


# -- 5. hostile state files ------------------------------------------------------------

def state_error(env, pattern):
    """The lockout is on by default: a state that cannot be read denies
    before anything is asked or sent, and is left as it was."""
    env.enroll("alice", {"primary": PRIMARY})
    path = os.path.join(env.state, "alice.state")
    before = snapshot(path, os.path.join(env.store, "alice.json"))
    login = env.login()
    assert_denied_before_anything(login, pattern, "state_error")
    assert login.messages() == ["Phone verification is unavailable on this system; contact your administrator."]
    assert not env.requests()
    assert snapshot(path, os.path.join(env.store, "alice.json")) == before
    return login


def times(count, when="2026-11-01T10:00:00Z"):
    return [when] * count


STATE_CASES = [
    ({"version": "1"}, "version: must be 1"),
    ({"failures": []}, "version: must be 1"),
    ({"version": 2}, "version: must be 1"),
    ({"version": 1, "failures": "x"}, "failures: must be a list of at most 200 times"),
    ({"version": 1, "failures": {}}, "failures: must be a list of at most 200 times"),
    ({"version": 1, "sends": 5}, "sends: must be a list of at most 200 times"),
    ({"version": 1, "failures": [1]}, "failures: must hold UTC times"),
    ({"version": 1, "failures": [None]}, "failures: must hold UTC times"),
    ({"version": 1, "failures": times(201)}, "failures: must be a list of at most 200 times"),
    ({"version": 1, "sends": times(201)}, "sends: must be a list of at most 200 times"),
    ({"version": 1, "failures": times(1, "1969-12-31T23:59:59Z")}, "failures: must hold UTC times"),
    ({"version": 1, "sends": times(1, "10000-01-01T00:00:00Z")}, "sends: must hold UTC times"),
    ({"version": 1, "sends": times(1, "2026-13-01T00:00:00Z")}, "sends: must hold UTC times"),
    ({"version": 1, "locked_until": 5}, "locked_until: must be a UTC time or null"),
    ({"version": 1, "locked_until": "forever"}, "locked_until: must be a UTC time or null"),
    ({"version": 1, "locked_until": "1969-12-31T23:59:59Z"}, "locked_until: must be a UTC time or null"),
    ({"version": 1, "locked_until": "10000-01-01T00:00:00Z"}, "locked_until: must be a UTC time or null"),
    ({"version": 1, "remembered": {}}, "remembered: must be a short list"),
    ({"version": 1, "remembered": [{"key": "rhost=x", "phones": "p", "until": "2099-01-01T00:00:00Z"}] * 17},
     "remembered: must be a short list"),
    ({"version": 1, "remembered": [{"key": "rhost=x"}]}, "remembered: entries must be {key, phones, until}"),
    ({"version": 1, "remembered": [{"key": "rhost=a b", "phones": "p", "until": "2099-01-01T00:00:00Z"}]},
     "remembered: entries must be {key, phones, until}"),
    ({"version": 1, "remembered": [{"key": "k", "phones": "p", "until": "2099-01-01T00:00:00Z", "x": 1}]},
     "remembered: entries must be {key, phones, until}"),
    ({"version": 1, "remembered": ["rhost=x"]}, "remembered: entries must be {key, phones, until}"),
    ({"version": 1, "extra": True}, "unknown field 'extra'"),
    ({"version": 1, "\x1b]0;owned\x07": True}, "unknown field '?]0;owned?'"),
]


@pytest.mark.parametrize("state,message", STATE_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_hostile_state_file(env, state, message):
    env.write_state("alice", state)
    state_error(env, re.escape(f"state error: {env.state}/alice.state: {message}"))


def test_state_with_200_recent_sends_is_read_and_denies_control(env):
    """200 events is the most a state may hold (201 is refused above): they
    are all counted, and the send limit refuses the text."""
    env.enroll("alice", {"primary": PRIMARY})
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    env.write_state("alice", {"version": 1, "sends": times(200, now)})
    login = env.login()
    login.prompt()
    login.answer("1")
    assert login.finish() == PAM_AUTH_ERR
    assert "Too many texts and calls for your account recently. Try again later." in login.messages()
    assert login.outcome()["reason"] == "send_limit"
    assert not env.requests()


@pytest.mark.parametrize("text,message", [
    ('{"version": 1, "version": 1}', "not a JSON object"),
    ("[]", "not a JSON object"),
    ("", "not a JSON object"),
    ('{"version": 1, "failures": [', "not a JSON object"),
], ids=repr)
def test_state_that_is_not_a_json_object(env, text, message):
    env.write("state/alice.state", text, 0o600)
    state_error(env, re.escape(f"state error: {env.state}/alice.state: {message}"))


def raw_state(env, kind):
    path = os.path.join(env.state, "alice.state")
    good = json.dumps({"version": 1, "failures": [], "sends": [], "locked_until": None})
    if kind == "5 MB":
        env.write("state/alice.state", good + " " * (5 * KIB * KIB), 0o600)
        return "larger than 65536 bytes"
    if kind == "symlink":
        env.write("state/bob.state", good, 0o600)
        os.symlink(os.path.join(env.state, "bob.state"), path)
        return "is a symlink"
    if kind == "hard link":
        env.write("state/alice.state", good, 0o600)
        os.link(path, os.path.join(env.state, "bob.state"))
        return "has 2 hard links, expected 1"
    if kind == "fifo":
        os.mkfifo(path, 0o600)
        return "not a regular file"
    if kind == "directory":
        os.mkdir(path, 0o700)
        return "not a regular file"
    if kind == "owner not root":
        env.write("state/alice.state", good, 0o600)
        os.chown(path, 1001, 1001)
        return "not owned by root (owner uid 1001)"
    if kind == "group-writable":
        env.write("state/alice.state", good, 0o620)
        return "writable by group or others (mode 0620)"
    if kind == "NUL bytes":
        env.write("state/alice.state", good[:-1] + "\0}", 0o600)
        return "contains a NUL byte"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["5 MB", "symlink", "hard link", "fifo", "directory", "owner not root",
                                  "group-writable", "NUL bytes"])
def test_state_file_that_is_not_a_safe_regular_file(env, kind):
    message = raw_state(env, kind)
    state_error(env, re.escape(f"state error: {env.state}/alice.state: {message}"))


@pytest.mark.parametrize("kind,message", [
    ("world-writable", "writable by group or others (mode 0777)"),
    ("symlink", "is a symlink or not a directory"),
    ("other uid", "not owned by root (owner uid 65534)"),
])
def test_state_directory_that_is_not_safe(env, kind, message):
    if kind == "world-writable":
        os.chmod(env.state, 0o777)
    elif kind == "symlink":
        real = env.state + ".real"
        os.rename(env.state, real)
        os.symlink(real, env.state)
    else:
        os.chown(env.state, NOBODY, 0)
    state_error(env, re.escape(f"state error: state directory {env.state}: {message}"))
