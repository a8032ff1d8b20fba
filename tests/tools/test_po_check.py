"""make check-po can fail: tests/tools/check_po.py run on a copy of the
sources and of pam_phonemfa/po, spoilt one way at a time, must exit non-zero
and name what is wrong; the copy unspoilt must pass. Run by `make check-po`.

The copy is brought up to date with its sources (`make pot` on it) and every
entry "translated" as its msgid, so these tests do not depend on how far the
real translations are."""
import glob
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "tools", "check_po.py")
sys.path.insert(0, os.path.dirname(SCRIPT))
import check_po  # noqa: E402


def version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"^VERSION\s*:=\s*(\S+)", f.read(), re.M).group(1)


def run(tree, *options):
    src = os.path.join(tree, "pam_phonemfa")
    result = subprocess.run([sys.executable, SCRIPT, "--version", version(), *options, src, os.path.join(src, "po")],
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def translate_as_msgid(path):
    """Every entry but the header translated as its own msgid (msgid_plural
    for the other plural forms, and for the only one of a one-form language)."""
    blocks = read(path).strip("\n").split("\n\n")
    out = []
    for block in blocks:
        fields, last, kept = {}, None, []
        for line in block.split("\n"):
            field = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if field:
                last = field.group(1)
                fields[last] = field.group(2)
            elif line.startswith('"') and last is not None:
                fields[last] += line[1:-1]
            if not (last or "").startswith("msgstr"):
                kept.append(line)
        if fields.get("msgid", "") == "" and "msgctxt" not in fields:
            out.append(block)
            continue
        if "msgid_plural" in fields:
            forms = sorted(k for k in fields if k.startswith("msgstr["))
            for i in range(len(forms)):
                text = fields["msgid"] if i == 0 and len(forms) > 1 else fields["msgid_plural"]
                kept.append(f'msgstr[{i}] "{text}"')
        else:
            kept.append(f'msgstr "{fields["msgid"]}"')
        out.append("\n".join(kept))
    write(path, "\n\n".join(out) + "\n")


@pytest.fixture
def tree(tmp_path):
    src = os.path.join(ROOT, "pam_phonemfa")
    copy = tmp_path / "pam_phonemfa"
    for pattern in check_po.SOURCE_GLOBS:
        for path in glob.glob(os.path.join(src, pattern)):
            target = copy / os.path.relpath(path, src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    shutil.copytree(os.path.join(src, "po"), copy / "po")
    code, output = run(tmp_path, "--update")
    assert code == 0, output
    for language in check_po.linguas(str(copy / "po")):
        translate_as_msgid(str(copy / "po" / f"{language}.po"))
    return tmp_path


def de_po(tree):
    return os.path.join(tree, "pam_phonemfa", "po", "de.po")


def an_entry(tree, format_s=False):
    """A one-line, singular, context-free entry of de.po: without printf
    conversions, or (format_s) with %s as its only one."""
    for entry in check_po.parse_po(de_po(tree)):
        if entry.is_header() or entry.obsolete or "msgctxt" in entry.fields or "msgid_plural" in entry.fields:
            continue
        msgid = entry.fields["msgid"]
        if len(msgid) > 60 or "\\" in msgid:
            continue
        conversions = re.findall(r"%[^%]", msgid.replace("%%", ""))
        if (format_s and conversions == ["%s"] and "c-format" in entry.flags) or \
                (not format_s and not conversions and not entry.flags):
            return msgid
    pytest.skip("no suitable entry in de.po")


def spoil(tree, old, new):
    text = read(de_po(tree))
    assert old in text
    write(de_po(tree), text.replace(old, new, 1))


def assert_fails_naming(tree, *names):
    code, output = run(tree)
    assert code != 0, output
    for name in names:
        assert name in output, output


def test_the_pristine_copy_passes(tree):
    code, output = run(tree)
    assert code == 0, output
    assert "up to date and complete" in output


def test_make_pot_twice_changes_nothing(tree):
    po = os.path.join(tree, "pam_phonemfa", "po")
    assert run(tree, "--update")[0] == 0
    before = {name: read(os.path.join(po, name)) for name in os.listdir(po)}
    code, output = run(tree, "--update")
    assert code == 0, output
    assert "is up to date" in output
    assert {name: read(os.path.join(po, name)) for name in os.listdir(po)} == before


def test_a_source_gained_a_string(tree):
    # A new file, as the others will add: the sources are found by wildcard.
    write(os.path.join(tree, "pam_phonemfa", "daemon", "added_for_test.c"),
          '#include "i18n.h"\nconst char *added(void);\n'
          'const char *added(void) { return N_("A string added after make pot"); }\n')
    assert_fails_naming(tree, "pam_phonemfa.pot is out of date", "A string added after make pot")


def test_a_fuzzy_entry(tree):
    msgid = an_entry(tree)
    spoil(tree, f'\nmsgid "{msgid}"\n', f'\n#, fuzzy\nmsgid "{msgid}"\n')
    assert_fails_naming(tree, "de.po", "fuzzy entry", msgid)


def test_an_untranslated_entry(tree):
    msgid = an_entry(tree)
    spoil(tree, f'msgid "{msgid}"\nmsgstr "{msgid}"\n', f'msgid "{msgid}"\nmsgstr ""\n')
    assert_fails_naming(tree, "de.po", "untranslated entry", msgid)


def test_a_missing_entry(tree):
    msgid = an_entry(tree)
    spoil(tree, f'msgid "{msgid}"\nmsgstr "{msgid}"\n', 'msgid "Something no source says"\nmsgstr "Etwas"\n')
    assert_fails_naming(tree, "de.po", "lacks an entry", msgid, "not in pam_phonemfa.pot", "Something no source says")


def test_an_obsolete_entry(tree):
    with open(de_po(tree), "a", encoding="utf-8") as f:
        f.write('\n#~ msgid "A string no source has any more"\n#~ msgstr "Ein alter Text"\n')
    assert_fails_naming(tree, "de.po", "obsolete entry", "A string no source has any more")


def test_a_conversion_mismatch(tree):
    msgid = an_entry(tree, format_s=True)
    spoil(tree, f'msgid "{msgid}"\nmsgstr "{msgid}"\n', f'msgid "{msgid}"\nmsgstr "{msgid.replace("%s", "%u")}"\n')
    assert_fails_naming(tree, "de.po", "msgfmt --check", msgid)


def test_an_unknown_plural_rule(tree):
    spoil(tree, "Plural-Forms: nplurals=2; plural=(n != 1);", "Plural-Forms: nplurals=2; plural=(n == 1);")
    assert_fails_naming(tree, "de.po", "Plural-Forms", "not one the reader knows")


def test_a_charset_other_than_utf8(tree):
    spoil(tree, "charset=UTF-8", "charset=ISO-8859-1")
    assert_fails_naming(tree, "de.po", "charset=ISO-8859-1")


def test_a_control_character_the_reader_refuses(tree):
    """msgfmt --check takes an escape sequence; phonemfa's reader refuses the
    whole catalogue, so every login in that language would be denied."""
    msgid = an_entry(tree)
    spoil(tree, f'msgid "{msgid}"\nmsgstr "{msgid}"\n', f'msgid "{msgid}"\nmsgstr "\\033]0;owned\\007{msgid}"\n')
    assert_fails_naming(tree, "de.po", "a control character", msgid)


def test_positional_conversions_the_reader_ignores(tree):
    """msgfmt --check takes "%1$s"; the reader shows the English instead."""
    msgid = an_entry(tree, format_s=True)
    spoil(tree, f'msgid "{msgid}"\nmsgstr "{msgid}"\n', f'msgid "{msgid}"\nmsgstr "{msgid.replace("%s", "%1$s")}"\n')
    assert_fails_naming(tree, "de.po", "conversions", msgid)


def test_a_translation_too_long_for_the_buffers(tree):
    msgid = an_entry(tree)
    spoil(tree, f'msgid "{msgid}"\nmsgstr "{msgid}"\n', f'msgid "{msgid}"\nmsgstr "{"Ä" * 130}"\n')
    assert_fails_naming(tree, "de.po", "a translation of 260 bytes", msgid)
