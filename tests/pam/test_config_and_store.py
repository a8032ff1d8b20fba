"""Every configuration or store problem denies, with a log line that names
the file and the problem. Nothing here may ever return PAM_SUCCESS or
PAM_IGNORE, whatever failmode the file asks for."""
import json
import os
import re
import subprocess

import pytest

from harness import BUILD, PAM_SERVICE_ERR, PAM_SUCCESS, ROOT

PRIMARY = "+15555550117"
NOBODY = 65534


UNAVAILABLE_HERE = "Phone verification is unavailable on this system; contact your administrator."


def assert_denied_with(login, pattern, reason="config_error"):
    result = login.finish()
    assert result == PAM_SERVICE_ERR, f"expected PAM_SERVICE_ERR, got {result}"
    assert not login.prompts()
    # The user gets a word, and nothing of the detail (the log has it).
    assert login.messages() == [UNAVAILABLE_HERE]
    errors = [line for line in login.logs() if re.search(pattern, line)]
    assert errors, f"no log line matches {pattern!r}: {login.logs()}"
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("error", reason)


def safe_config(env, extra=""):
    """A config that asks for failmode safe: errors must still deny."""
    env.set_config(extra='login: { failmode = "safe"; unenrolled = "ignore"; };' + extra)


# -- the file itself ---------------------------------------------------------

def test_example_config_from_conf_works(env):
    """conf/phonemfa.conf as shipped, with only paths and URLs pointed at the test."""
    with open(os.path.join(ROOT, "conf", "phonemfa.conf")) as example:
        text = example.read()
    text = re.sub(r"urls = \[.*?\];", f'urls = [ "{env.service.url()}" ];', text)
    text = text.replace("/etc/phonemfa/service.token", env.token_file)
    text = text.replace("/etc/ssl/certs/ca-certificates.crt", env.service.ca_file)
    text = text.replace("/var/lib/phonemfa", env.store)
    env.set_config(text=text)
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    assert login.prompt()["text"].startswith("Verify your identity:\n")
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS
    # The abuse controls it ships switched on count in a state directory the
    # module made itself (root, 0700).
    state_dir = os.path.join(env.store, "state")
    assert os.stat(state_dir).st_mode & 0o777 == 0o700
    with open(os.path.join(state_dir, "alice.state")) as state:
        assert len(json.load(state)["sends"]) == 1


def test_example_policy_block_from_conf_works(env):
    """conf/phonemfa.conf's commented policy controls, switched on the way
    the file says: the "# " in front of every line between #@policy and #@end
    removed, nothing else changed."""
    with open(os.path.join(ROOT, "conf", "phonemfa.conf")) as example:
        text = example.read()
    text = re.sub(r"#@policy\n(.*?)#@end", lambda block: re.sub(r"^(\s*)# ", r"\1", block.group(1), flags=re.M),
                  text, flags=re.S)
    assert text.count("verify_user") == 1 and "\nremember: {" in text and "\n  self_register = true;" in text
    text = re.sub(r"urls = \[.*?\];", f'urls = [ "{env.service.url()}" ];', text)
    text = text.replace("/etc/phonemfa/service.token", env.token_file)
    text = text.replace("/etc/ssl/certs/ca-certificates.crt", env.service.ca_file)
    text = text.replace("/var/lib/phonemfa/state", env.state).replace("/var/lib/phonemfa", env.store)
    env.set_config(text=text)
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login_with_code("1", PRIMARY)
    assert login.prompt()["text"] == "Skip this check for logins like this one for 7 days? [y/N]: "
    login.answer("n")
    assert login.finish() == PAM_SUCCESS
    assert env.read_state("alice")["sends"], "the send limit is counting"


def test_group_writable_config(env):
    safe_config(env)
    os.chmod(env.config_path, 0o664)
    assert_denied_with(env.login(), re.escape(f"config error: {env.config_path}: writable by group "
                                              "or others (mode 0664)"))


def test_world_writable_config(env):
    os.chmod(env.config_path, 0o646)
    assert_denied_with(env.login(), "writable by group or others")


def test_config_not_owned_by_root(env):
    safe_config(env)
    os.chown(env.config_path, NOBODY, NOBODY)
    assert_denied_with(env.login(), re.escape(f"{env.config_path}: not owned by root (owner uid 65534)"))


def test_config_is_a_symlink(env):
    real = env.write("etc/real.conf", open(env.config_path).read())
    os.remove(env.config_path)
    os.symlink(real, env.config_path)
    assert_denied_with(env.login(), re.escape(f"{env.config_path}: is a symlink"))


def test_config_in_a_writable_directory(env):
    os.chmod(env.etc, 0o777)
    assert_denied_with(env.login(), re.escape(f"{env.etc}: writable by group or others"))


def test_missing_config(env):
    os.remove(env.config_path)
    assert_denied_with(env.login(), re.escape(f"{env.config_path}: No such file or directory"))


SAFE = 'failmode = "safe"; unenrolled = "ignore";'
BAD_SETTINGS = [
    ("login: { %s code_attemps = 3; };" % SAFE, r"setting 'login.code_attemps': unknown setting"),
    ("login: { code_attempts = 3; %s }; logins: { };" % SAFE, r"setting 'logins': unknown setting"),
    ('login: { code_attempts = "3"; %s };' % SAFE, r"setting 'login.code_attempts': must be a whole number"),
    ("login: { %s code_attempts = 0; };" % SAFE, r"setting 'login.code_attempts': must be from 1 to 10"),
    ("login: { %s call_answer_timeout = 1000; };" % SAFE,
     r"setting 'login.call_answer_timeout': must be from 5 to 300 seconds"),
    ('login: { failmode = "open"; unenrolled = "ignore"; }; texts: { menu_footer = "safe"; };',
     r"setting 'login.failmode': must be one of: secure, safe"),
    ('login: { failmode = "safe"; unenrolled = "allow"; };',
     r"setting 'login.unenrolled': must be one of: deny, ignore"),
    ("login: { %s default_country_code = 35; };" % SAFE,
     r"setting 'login.default_country_code': 35 is not a country calling code"),
    ('login: { %s locale = "en_US.UTF-8"; };' % SAFE, r"setting 'login.locale': must be a language tag"),
    ("login: { %s code_attempts = ; };" % SAFE, r"syntax error"),
    ('login: { %s };\n@include "/tmp/other.conf"' % SAFE, r"@include is not allowed"),
    ('login: { %s }; texts: { menu_header = "a\\nb"; };' % SAFE,
     r"setting 'texts.menu_header': contains control characters"),
]


@pytest.mark.parametrize("extra,pattern", BAD_SETTINGS)
def test_bad_settings_deny_even_with_failmode_safe(env, extra, pattern):
    """pam_duo's lesson: a broken file that also says failmode safe must
    still deny, wherever the error stands."""
    env.set_config(extra=extra)
    assert "safe" in open(env.config_path).read()
    env.enroll("alice", {"primary": PRIMARY})
    assert_denied_with(env.login(), "config error: " + re.escape(env.config_path) + r":\d+: " + pattern)


@pytest.mark.parametrize("urls,pattern", [
    (["http://127.0.0.1:1"], r"'http://127.0.0.1:1' is not an https:// URL"),
    (["https://user@host"], r"'https://user@host' may not contain"),
    (["https://"], r"'https://' has no host"),
])
def test_bad_urls(env, urls, pattern):
    env.set_config(urls=urls)
    assert_denied_with(env.login(), r"setting 'service.urls': " + pattern)


def test_no_urls(env):
    env.set_config(text=re.sub(r"urls = \[.*?\];", "", open(env.config_path).read()))
    assert_denied_with(env.login(), r"setting 'service.urls': is required")


def test_token_file_readable_by_others(env):
    os.chmod(env.token_file, 0o644)
    assert_denied_with(env.login(), re.escape(f"service.token_file: {env.token_file}: holds a secret "
                                              "but group or others have access (mode 0644); it must be mode 0600"))


def test_inline_token_in_a_world_readable_config(env):
    text = open(env.config_path).read().replace(f'token_file = "{env.token_file}";', 'token = "test-token";')
    env.set_config(text=text)
    assert_denied_with(env.login(), r"holds service.token but group or others have access \(mode 0644\)")


def test_inline_token_in_a_private_config_works(env):
    text = open(env.config_path).read().replace(f'token_file = "{env.token_file}";', 'token = "test-token";')
    env.set_config(text=text)
    os.chmod(env.config_path, 0o600)
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login_with_code("1", PRIMARY)
    assert login.finish() == PAM_SUCCESS


def test_unknown_module_argument(env):
    env.module_args += " debug_everything"
    env.write_stack("sshd")
    assert_denied_with(env.login(), r"unknown module argument 'debug_everything'")


# -- the phone store -------------------------------------------------------------

def assert_store_error(env, pattern):
    safe_config(env)
    assert_denied_with(env.login(), pattern, reason="store_error")


def test_corrupt_record(env):
    env.write_record("alice", '{"version": 1, "phones": {"primary": ')
    assert_store_error(env, re.escape(f"store error: phone record {env.store}/alice.json: not valid JSON"))


@pytest.mark.parametrize("mutation,pattern", [
    (lambda r: r.update(version=2), r"version: must be 1"),
    (lambda r: r.update(extra=True), r"unknown field 'extra'"),
    (lambda r: r["phones"]["primary"].update(number="5555550117"), r"phones.primary.number: not a valid"),
    (lambda r: r["phones"]["primary"].update(number="+1555"), r"phones.primary.number: not a valid"),
    (lambda r: r["phones"]["primary"].update(channels=["fax"]), r"phones.primary.channels: unknown channel"),
    (lambda r: r["phones"]["primary"].update(channels=[]), r"phones.primary.channels: must be a list"),
    (lambda r: r["phones"]["primary"].update(added_by="../x"), r"phones.primary.added_by: must be a user name"),
    (lambda r: r["phones"]["primary"].update(verified_at="yesterday"), r"phones.primary.verified_at: must be a UTC time"),
    (lambda r: r["phones"].update(backup=r["phones"]["primary"]), r"phones: unknown slot 'backup'"),
    (lambda r: r.update(phones={}), r"phones: no phone registered"),
    (lambda r: r.update(preferred={"slot": "office", "channel": "call"}), r"preferred: names a phone"),
])
def test_invalid_record_fields(env, mutation, pattern):
    import json
    env.enroll("alice", {"primary": PRIMARY})
    path = os.path.join(env.store, "alice.json")
    record = json.load(open(path))
    mutation(record)
    env.write_record("alice", json.dumps(record))
    assert_store_error(env, re.escape(f"phone record {env.store}/alice.json: ") + pattern)


def test_record_is_a_symlink(env):
    env.enroll("bob", {"primary": PRIMARY})
    os.symlink(os.path.join(env.store, "bob.json"), os.path.join(env.store, "alice.json"))
    assert_store_error(env, re.escape(f"phone record {env.store}/alice.json: is a symlink"))


def test_record_not_owned_by_root(env):
    path = env.enroll("alice", {"primary": PRIMARY})
    os.chown(path, NOBODY, NOBODY)
    assert_store_error(env, re.escape(f"{env.store}/alice.json: not owned by root"))


def test_record_writable_by_group(env):
    path = env.enroll("alice", {"primary": PRIMARY})
    os.chmod(path, 0o620)
    assert_store_error(env, re.escape(f"{env.store}/alice.json: writable by group or others"))


def test_record_with_two_links(env):
    path = env.enroll("alice", {"primary": PRIMARY})
    os.link(path, os.path.join(env.store, "copy"))
    assert_store_error(env, re.escape(f"{env.store}/alice.json: has 2 hard links"))


def test_oversized_record(env):
    env.write_record("alice", " " * (64 * 1024 + 1))
    assert_store_error(env, r"larger than 65536 bytes")


def test_store_directory_world_writable(env):
    env.enroll("alice", {"primary": PRIMARY})
    os.chmod(env.store, 0o777)
    assert_store_error(env, re.escape(f"store error: phone store {env.store}: writable by group or others"))


def test_store_directory_missing(env):
    os.rmdir(env.store)
    assert_store_error(env, re.escape(f"store error: phone store {env.store}: No such file"))




# -- phonemfa-setup check, against the same fake service ------------------------
SETUP = os.path.join(BUILD, "phonemfa-setup")


def run_check(env):
    """phonemfa-setup check asks phonemfad, which reports its own state and
    checks its configuration, store, state and service."""
    env.start_daemon()
    return subprocess.run([SETUP, "--socket", env.socket, "check"], capture_output=True, text=True, timeout=60)


def test_check_reaches_the_service_and_explains_problems(env):
    env.enroll("alice", {"primary": PRIMARY})
    good = run_check(env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"ok       service {env.service.url()}: reachable, certificate and credentials accepted" in good.stdout
    assert "0 problems found" in good.stdout
    assert re.search(r"^ok       phonemfad running \(pid \d+, version [0-9.]+\): 1 of at most 512 logins at once, "
                     r"0 served; configuration as loaded$", good.stdout, re.M), good.stdout
    # A writer killed mid-write leaves its temp file: check says so.
    env.write("store/.alice.json.tmp", "{half", 0o600)
    noted = run_check(env)
    assert noted.returncode == 0
    assert f"note     {env.store}: 1 temp file left by interrupted writes; the user's next change removes each" \
        in noted.stdout
    env.write("etc/service.token", "not-the-token\n", 0o600)
    refused = run_check(env)
    assert refused.returncode == 3
    assert "The service refused the credentials: check token_file" in refused.stdout
