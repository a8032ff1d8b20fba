"""The language of a login: the user's own (in their phone record), else the
administrator's default (login.locale), else English; never the
environment of any process. Each test builds its own small catalogue with
msgfmt, so what is asserted here does not depend on the shipped
translations (tests/e2e asserts those)."""
import json
import os
import subprocess
import threading

import pytest

from harness import (IGNORE_MARKER, MODULE, PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR,
                     PAM_SUCCESS, STACK, run_parallel)

PRIMARY = "+15555550117"

# A test language per tag; the texts only need to differ from English.
CATALOGUES = {
    "ja": {
        "Verify your identity:": "本人確認を行います:",
        "Text %s": "%s に SMS を送信",
        "Call %s": "%s に電話",
        "Choose 1-%zu [%zu]: ": "番号を選んでください 1-%zu [%zu]: ",
        "Code sent to %s. Enter the code (or press Enter to go back): ":
            "%s にコードを送信しました。コードを入力してください: ",
        ("Wrong code, %u attempt left. Enter the code (or press Enter to go back): ",
         "Wrong code, %u attempts left. Enter the code (or press Enter to go back): "):
            ["コードが違います。残り %u 回です: "],
        "No phone is registered for your account. Contact your administrator.":
            "登録された電話がありません。管理者に連絡してください。",
        "Phone verification is not available right now. Try again later.":
            "現在、電話による確認は利用できません。",
    },
    "de": {
        "Verify your identity:": "Bestätigen Sie Ihre Identität:",
        "Text %s": "SMS an %s",
        "Call %s": "Anruf an %s",
        "Choose 1-%zu [%zu]: ": "Wählen Sie 1-%zu [%zu]: ",
    },
}
PLURAL_FORMS = {"ja": "nplurals=1; plural=0;", "de": "nplurals=2; plural=(n != 1);"}


def po_text(language, entries):
    def quote(text):
        return json.dumps(text, ensure_ascii=False)
    lines = ['msgid ""', 'msgstr ""', quote("Project-Id-Version: pam_phonemfa tests\n"),
             quote("PO-Revision-Date: 2026-11-25 08:00+0000\n"), quote("Last-Translator: tests\n"),
             quote("Language-Team: tests\n"), quote(f"Language: {language}\n"), quote("MIME-Version: 1.0\n"),
             quote("Content-Type: text/plain; charset=UTF-8\n"), quote("Content-Transfer-Encoding: 8bit\n"),
             quote(f"Plural-Forms: {PLURAL_FORMS.get(language, 'nplurals=2; plural=(n != 1);')}\n"), ""]
    for msgid, msgstr in entries.items():
        if isinstance(msgid, tuple):
            lines += [f"msgid {quote(msgid[0])}", f"msgid_plural {quote(msgid[1])}"]
            lines += [f"msgstr[{i}] {quote(form)}" for i, form in enumerate(msgstr)]
        else:
            flag = "#, c-format" if "%" in msgid else ""
            lines += ([flag] if flag else []) + [f"msgid {quote(msgid)}", f"msgstr {quote(msgstr)}"]
        lines.append("")
    return "\n".join(lines)


def install_catalogue(env, language, entries, check=True):
    directory = env.mkdir(f"locale/{language.replace('-', '_')}/LC_MESSAGES")
    po = os.path.join(env.dir, f"{language}.po")
    with open(po, "w", encoding="utf-8") as f:
        f.write(po_text(language, entries))
    target = os.path.join(directory, "pam_phonemfa.mo")
    subprocess.run(["msgfmt"] + (["--check"] if check else []) + ["-o", target, po], check=True)
    os.chmod(target, 0o644)
    return target


@pytest.fixture
def lang_env(env):
    for language, entries in CATALOGUES.items():
        install_catalogue(env, language, entries)
    return env


def configure(env, default=None):
    login = f'login: {{ locale = "{default}"; }};' if default else ""
    env.set_config(extra=f'{login} texts: {{ translations = "{env.dir}/locale"; }};')


def enroll(env, user="alice", language=None):
    path = env.enroll(user, {"primary": PRIMARY})
    if language is not None:
        record = json.load(open(path))
        record["language"] = language
        env.write_record(user, json.dumps(record))


def take_code(env, login):
    code_prompt = login.prompt()["text"]
    login.answer(env.network.last_code(PRIMARY))
    return code_prompt


def test_the_users_own_language_is_spoken_and_asked_of_the_service(lang_env):
    env = lang_env
    configure(env)
    enroll(env, language="ja")
    login = env.login()
    menu = login.prompt()["text"]
    assert menu == ("本人確認を行います:\n"
                    "  1) +X XXXXXXXX17 に SMS を送信\n"
                    "  2) +X XXXXXXXX17 に電話\n"
                    "番号を選んでください 1-2 [1]: ")
    login.answer("1")
    assert take_code(env, login) == "+X XXXXXXXX17 にコードを送信しました。コードを入力してください: "
    assert login.finish() == PAM_SUCCESS, login.logs()
    assert env.requests("start")[0]["body"]["locale"] == "ja"


def test_the_users_language_overrides_the_default_and_the_default_serves_the_rest(lang_env):
    env = lang_env
    configure(env, default="de")
    enroll(env, "alice", language="ja")
    enroll(env, "bob")
    alice = env.login(user="alice")
    assert alice.prompt()["text"].startswith("本人確認を行います:\n")
    assert alice.finish() != PAM_SUCCESS
    bob = env.login(user="bob")
    assert bob.prompt()["text"] == ("Bestätigen Sie Ihre Identität:\n"
                                    "  1) SMS an +X XXXXXXXX17\n"
                                    "  2) Anruf an +X XXXXXXXX17\n"
                                    "Wählen Sie 1-2 [1]: ")
    bob.answer("2")
    bob.prompt()
    bob.answer(env.network.last_code(PRIMARY))
    assert bob.finish() == PAM_SUCCESS
    assert env.requests("start")[-1]["body"]["locale"] == "de"


def test_a_language_without_a_catalogue_is_read_in_english_and_still_asked_of_the_service(lang_env):
    env = lang_env
    configure(env)
    enroll(env, language="fr")
    login = env.login()
    assert login.prompt()["text"].startswith("Verify your identity:\n  1) Text +X XXXXXXXX17\n")
    login.answer("1")
    take_code(env, login)
    assert login.finish() == PAM_SUCCESS
    assert env.requests("start")[0]["body"]["locale"] == "fr"


def test_without_any_language_the_service_chooses(lang_env):
    env = lang_env
    configure(env)
    enroll(env)
    login = env.login()
    assert login.prompt()["text"].startswith("Verify your identity:\n")
    login.answer("1")
    take_code(env, login)
    assert login.finish() == PAM_SUCCESS
    assert "locale" not in env.requests("start")[0]["body"]


def test_the_callers_environment_never_picks_the_language(lang_env):
    """su runs the module with the invoking user's environment, and an
    application may put LANG in the PAM environment: neither counts."""
    env = lang_env
    configure(env)
    enroll(env)
    hostile = {"LANG": "ja_JP.UTF-8", "LANGUAGE": "ja", "LC_ALL": "ja_JP.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8",
               "LOCPATH": os.path.join(env.dir, "locale"), "NLSPATH": os.path.join(env.dir, "locale/%L/%N")}
    login = env.login(extra_env=hostile, pam_env="LANG=ja_JP.UTF-8")
    assert login.prompt()["text"].startswith("Verify your identity:\n")
    login.answer("1")
    take_code(env, login)
    assert login.finish() == PAM_SUCCESS
    assert "locale" not in env.requests("start")[0]["body"]


def test_counts_use_the_languages_plural_forms(lang_env):
    env = lang_env
    configure(env)
    enroll(env, language="ja")
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    code = env.network.last_code(PRIMARY)
    login.answer(code[:-1] + str((int(code[-1]) + 1) % 10))
    assert login.prompt()["text"] == "コードが違います。残り 2 回です: "
    login.answer(env.network.last_code(PRIMARY))
    assert login.finish() == PAM_SUCCESS


def test_a_translation_cannot_change_what_printf_reads(lang_env):
    """A catalogue whose translation has other conversions than the English
    (here %s%s%s%n for %s) is not used for that string: English is shown,
    and nothing crashes."""
    env = lang_env
    install_catalogue(env, "ja", {"Text %s": "%s%s%s%n", "Verify your identity:": "本人確認を行います:"},
                      check=False)
    configure(env)
    enroll(env, language="ja")
    login = env.login()
    assert login.prompt()["text"].startswith("本人確認を行います:\n  1) Text +X XXXXXXXX17\n")
    assert login.finish() != PAM_SUCCESS


@pytest.mark.parametrize("damage", ["owner", "mode", "garbage"])
def test_a_catalogue_that_is_not_roots_or_is_damaged_denies(lang_env, damage):
    env = lang_env
    path = os.path.join(env.dir, "locale/ja/LC_MESSAGES/pam_phonemfa.mo")
    if damage == "owner":
        os.chown(path, 1001, 100)
    elif damage == "mode":
        os.chmod(path, 0o666)
    else:
        with open(path, "r+b") as f:
            f.seek(8)
            f.write(b"\xff\xff\xff\xff")
    configure(env)
    enroll(env, language="ja")
    login = env.login()
    assert login.finish() == PAM_SERVICE_ERR
    assert login.messages() == ["Phone verification is unavailable on this system; contact your administrator."]
    assert login.outcome()["reason"] == "translations_error"
    assert any("translations for language ja cannot be used" in line for line in login.logs())
    assert not env.requests(), "nothing is sent in a login that cannot speak"


def test_a_bad_default_language_catalogue_turns_every_login_away(lang_env):
    env = lang_env
    os.chown(os.path.join(env.dir, "locale/de/LC_MESSAGES/pam_phonemfa.mo"), 1001, 100)
    configure(env, default="de")
    enroll(env)
    login = env.login()
    assert login.finish() == PAM_SERVICE_ERR
    assert login.messages() == ["Phone verification is unavailable on this system; contact your administrator."]
    assert any("translations for language de cannot be used" in line for line in login.logs())


def test_unenrolled_users_are_told_in_the_default_language(lang_env):
    env = lang_env
    configure(env, default="ja")
    env.set_config(extra=f'login: {{ locale = "ja"; unenrolled = "deny"; }}; '
                         f'texts: {{ translations = "{env.dir}/locale"; }};')
    login = env.login(user="bob")
    assert login.finish() == PAM_AUTH_ERR
    assert login.messages() == ["登録された電話がありません。管理者に連絡してください。"]


def test_parallel_logins_each_speak_their_own_language(lang_env):
    """phonemfad serves logins from threads of one process: no language
    leaks from one login into another."""
    env = lang_env
    configure(env)
    enroll(env, "alice", language="ja")
    enroll(env, "bob", language="de")
    enroll(env, "carol")
    expected = {"alice": "本人確認を行います:\n", "bob": "Bestätigen Sie Ihre Identität:\n",
                "carol": "Verify your identity:\n"}
    users = iter(list(expected) * 4)
    lock = threading.Lock()

    def one():
        with lock:
            user = next(users)
        login = env.login(user=user)
        header = login.prompt()["text"].split("  1)")[0]
        login.finish()
        assert header == expected[user], (user, header)

    run_parallel(12, one)


def test_the_modules_own_message_is_in_the_stacks_language(lang_env):
    """When phonemfad cannot be reached, the module says so itself, in the
    language= of the stack (the user's own is not known without phonemfad)."""
    env = lang_env
    enroll(env)
    args = f"socket={env.dir}/nobody-listens.sock language=ja translations={env.dir}/locale"
    env.write_stack("sshd", stack=STACK.format(module=MODULE, args=args, marker=IGNORE_MARKER, before=""))
    login = env.login()
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert login.messages() == ["現在、電話による確認は利用できません。"]
