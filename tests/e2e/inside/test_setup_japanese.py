"""A Japanese user registers an alternate phone with phonemfa-setup, the
real setuid program on a pty: every question and answer in Japanese, the
country picked as 「日本」 (the picker shows 「日本 (+81)」), a national number
with its trunk 0 ("090-1234-5678") saved as +81 90 1234 5678, and the code
asked of the service in Japanese. The prompts a person answers are written
out here; the longer texts come from the shipped ja.po."""
import re

from catalogue import Catalogue, format_regex
from system import PASSWORD, PRIMARY, record
from test_setup_self import Session

JA = Catalogue("ja")
NEW = "+819012345678"


def expect_text(session, text):
    return session.expect(re.escape(text))


def choose(session, label):
    menu = expect_text(session, "選択してください: ")
    number = re.search(r"(\d)\) " + re.escape(label), menu)
    assert number, menu
    session.send(number.group(1))


def register(system, session):
    session.expect(r"Password: ")
    session.send(PASSWORD["alice"])
    # The re-authentication is a login: in her language too.
    menu = session.expect(format_regex(JA.text("Choose 1-%zu [%zu]: ")))
    assert "本人確認を行います:" in menu and "+X XXXXXXXX17 に SMS を送信" in menu, menu
    session.send("1")
    session.expect(re.escape("+X XXXXXXXX17 に SMS で確認コードを送信しました。") + ".*: $")
    session.send(system.network.last_code(PRIMARY))

    choose(session, "代替の電話を追加または変更する")
    # The country: by name, in Japanese; the default (the United States) offered.
    expect_text(session, "国/地域名または国番号を入力してください [アメリカ合衆国 (+1)]: ")
    session.send("日本")
    shown = expect_text(session, "電話番号を入力してください（他の国/地域の番号は + と国番号から）: ")
    assert "国/地域: 日本 (+81)" in shown, shown
    session.send("090-1234-5678")
    expect_text(session, "確認方法を選択してください 1) SMS 2) 通話: ")
    session.send("1")
    shown = expect_text(session, "+81 9012345678 を SMS で確認しますか? [Y/n] ")
    assert JA.text("The number will be used only for account security. Standard call and text charges may apply.") \
        in shown, shown
    session.send("はい")
    expect_text(session, "+XX XXXXXXXX78 に SMS で確認コードを送信しました。確認コードを入力してください: ")
    session.send(system.network.last_code(NEW))
    expect_text(session, "保存しました。")
    choose(session, "終了する")
    status, output = session.finish()
    assert status == 0, output
    assert "\ufffd" not in output


def test_an_alternate_phone_registered_in_japanese(fresh):
    fresh.enroll("alice", language="ja")
    mark = fresh.syslog.mark()
    session = Session(fresh)
    try:
        register(fresh, session)
    finally:
        session.child.close(force=True)
    phone = record()["phones"]["alternate"]
    assert (phone["number"], phone["verified_by"]) == (NEW, "text")
    assert record()["language"] == "ja"
    starts = fresh.network.ops("start")
    assert [s["body"]["to"] for s in starts] == [PRIMARY, NEW]
    assert all(s["body"].get("locale") == "ja" for s in starts), starts
    from test_setup_admin import change_lines
    assert any("change=add user=alice slot=alternate" in line for line in change_lines(fresh, mark))
