"""phonemfa-setup in the user's language: the language command, the
catalogue the setup worker reads (the administrator's own record's language,
else login.locale; never the caller's environment), a damaged catalogue
refused as at login, and the verification asked in the phone user's
language."""
import json
import os
import subprocess

from directory_helpers import SETUP, run_setup

UNAVAILABLE_HERE = "Phone verification is unavailable on this system; contact your administrator."

GERMAN = {
    "  remembered logins: %zu\n": "  gemerkte Anmeldungen: %zu\n",
    "%s: language set to %s\n": "%s: Sprache ist jetzt %s\n",
    "Deutsch (de)": "Deutsch (de)",
    "configuration %s\n": "Konfiguration %s\n",
}


def po_text(messages):
    def quote(text):
        return json.dumps(text, ensure_ascii=False)
    entries = ['msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n']
    entries += [f"msgid {quote(k)}\nmsgstr {quote(v)}\n" for k, v in messages.items()]
    return "\n".join(entries)


def translations(env, language="de", messages=None, damaged=False):
    """A translations directory with one catalogue, as texts.translations."""
    directory = env.mkdir("locale")
    env.mkdir(f"locale/{language}")
    target = os.path.join(env.mkdir(f"locale/{language}/LC_MESSAGES"), "pam_phonemfa.mo")
    if damaged:
        with open(target, "wb") as mo:
            mo.write(b"\xde\x12\x04\x95 not a catalogue")
    else:
        po = env.write(f"locale/{language}.po", po_text(messages or GERMAN))
        subprocess.run(["msgfmt", "-o", target, po], check=True)
    os.chmod(target, 0o644)
    return directory


def configure(env, locale=None, directory=None):
    extra = ""
    if locale:
        extra += f'login: {{ locale = "{locale}"; }};\n'
    extra += f'texts: {{ translations = "{directory or env.mkdir("no-locale")}"; }};\n'
    env.set_config(extra)


def record(env, user="alice"):
    with open(os.path.join(env.store, f"{user}.json")) as f:
        return json.load(f)


def test_the_language_command_sets_and_clears_the_users_language(env):
    configure(env)
    env.enroll("alice", {"primary": "+15555550117"})
    chosen = run_setup(env, "--user", "alice", "language", "ja")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout == ("note: no translation for ja is installed; English is shown until one is\n"
                             "alice: language set to 日本語 (ja)\n")
    assert record(env)["language"] == "ja"
    assert "change=language user=alice" in env.daemon.text() and "language=ja actor=root" in env.daemon.text()
    listing = run_setup(env, "--user", "alice", "list")
    assert "  language: ja\n" in listing.stdout
    assert "language=ja" in run_setup(env, "users").stdout
    cleared = run_setup(env, "--user", "alice", "language", "default")
    assert (cleared.returncode, cleared.stdout) == (0, "alice: language set to English (the default)\n")
    assert "language" not in record(env)
    assert "language" not in run_setup(env, "--user", "alice", "list").stdout


def test_the_language_command_refuses_what_is_no_language(env):
    configure(env)
    env.enroll("alice", {"primary": "+15555550117"})
    before = record(env)
    for tag in ("JA", "../de", "japanese", "", "de_DE"):
        result = run_setup(env, "--user", "alice", "language", tag)
        assert result.returncode == 2, tag
        assert "a language is a tag such as ja, de or pt-BR, or default" in result.stderr
    assert record(env) == before
    unenrolled = run_setup(env, "--user", "bob", "language", "de")
    assert unenrolled.returncode == 1
    assert "bob has no phone registered; a language is kept with the phones" in unenrolled.stderr
    assert not os.path.exists(os.path.join(env.store, "bob.json"))
    usage = run_setup(env, "--user", "alice", "language")
    assert usage.returncode == 2 and "wrong arguments for language" in usage.stderr


def test_a_damaged_catalogue_is_never_chosen(env):
    configure(env, directory=translations(env, damaged=True))
    env.enroll("alice", {"primary": "+15555550117"})
    result = run_setup(env, "--user", "alice", "language", "de")
    assert result.returncode == 3
    assert "the translations for de cannot be read; nothing was changed" in result.stderr
    assert "language" not in record(env)


def test_setup_speaks_the_default_language_and_never_the_callers(env):
    configure(env, locale="de", directory=translations(env))
    env.enroll("alice", {"primary": "+15555550117"})
    env.start_daemon()
    english = dict(os.environ, LANG="C", LC_ALL="C", LANGUAGE="")
    listing = subprocess.run([SETUP, "--socket", env.socket, "--user", "alice", "list"], capture_output=True,
                             text=True, timeout=60, env=english)
    assert listing.returncode == 0, listing.stderr + env.daemon.text()
    assert "  gemerkte Anmeldungen: 0\n" in listing.stdout
    # Untranslated messages stay English; data stays as it is.
    assert listing.stdout.startswith("alice (phones in")
    chosen = run_setup(env, "--user", "alice", "language", "de")
    assert chosen.stdout == "alice: Sprache ist jetzt Deutsch (de)\n"


def test_the_administrators_own_language_wins_over_the_default(env):
    configure(env, locale="de", directory=translations(env))
    env.enroll("alice", {"primary": "+15555550117"})
    env.enroll("root", {"primary": "+15555550119"})
    root = record(env, "root")
    root["language"] = "en"
    env.write_record("root", json.dumps(root))
    listing = run_setup(env, "--user", "alice", "list")
    assert "  remembered logins: 0\n" in listing.stdout, listing.stdout


def test_a_damaged_catalogue_refuses_the_run_as_a_login_does(env):
    configure(env, locale="de", directory=translations(env, damaged=True))
    env.enroll("alice", {"primary": "+15555550117"})
    before = record(env)
    result = run_setup(env, "--user", "alice", "remove", "primary", "--yes")
    assert result.returncode == 3
    assert result.stderr == f"phonemfa-setup: {UNAVAILABLE_HERE}\n"
    assert "translations for language de cannot be used" in env.daemon.text()
    assert record(env) == before


def test_the_code_is_asked_in_the_phone_users_language(env):
    configure(env, locale="de")
    env.enroll("alice", {"primary": "+15555550117"})
    alice = record(env)
    alice["language"] = "ja"
    env.write_record("alice", json.dumps(alice))
    env.start_daemon()
    # Confirmed, then no code typed: nothing is saved, but the text went out.
    added = subprocess.run([SETUP, "--socket", env.socket, "--user", "alice", "add", "alternate", "+15555550123",
                            "--verify", "text"], input="y\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 4, added.stderr
    starts = env.requests("start")
    assert len(starts) == 1 and starts[0]["body"]["locale"] == "ja"
    assert "alternate" not in record(env)["phones"]


def test_check_reports_in_the_administrators_language(env):
    configure(env, locale="de", directory=translations(env))
    env.enroll("alice", {"primary": "+15555550117"})
    check = run_setup(env, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"ok       Konfiguration {env.config_path}\n" in check.stdout
    # What is not translated stays English, the status words always.
    assert "\n0 problems found\n" in check.stdout


def test_check_reports_a_damaged_catalogue_as_a_problem(env):
    configure(env, locale="de", directory=translations(env, damaged=True))
    env.enroll("alice", {"primary": "+15555550117"})
    check = run_setup(env, "check")
    assert check.returncode == 3
    assert f"ok       configuration {env.config_path}\nPROBLEM  translations for de: " in check.stdout, check.stdout
    assert "Every login in that language is refused until this is fixed." in check.stdout
    assert "\n1 problem found\n" in check.stdout
