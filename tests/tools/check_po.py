#!/usr/bin/python3
"""The gettext catalogues of pam_phonemfa: regenerate them, or check them.

    check_po.py --version V SRCDIR PODIR            (make check-po)
    check_po.py --version V --update SRCDIR PODIR   (make pot)

SRCDIR holds the sources (SRCDIR/*.c, SRCDIR/daemon/*.c,
SRCDIR/directory/*.c), PODIR the committed template pam_phonemfa.pot, the
translations LL.po and LINGUAS, the languages that ship (one code a line,
# starts a comment).

--update regenerates the template from the sources and rewrites it only when
a string changed (so running it twice changes nothing, not even the
POT-Creation-Date), then merges it into every shipped LL.po.

Without --update, fails (exit 1) naming each offending entry if
  (a) the template regenerated from the sources differs from the committed
      one in anything but its POT-Creation-Date (a string was added, changed
      or removed in a source without `make pot`);
  (b) a shipped LL.po lacks an entry of the template, has one the template
      does not (both: run `make pot`), or has a fuzzy, an untranslated or an
      obsolete (#~) entry; msgcmp must agree;
  (c) msgfmt --check refuses it (a translation whose %s, %u... differ from
      the msgid's, a wrong number of plural forms, a bad header);
  (d) its Plural-Forms is not one of the three rules phonemfa's own .mo
      reader (pam_phonemfa/i18n.c) knows;
  (e) its charset is not UTF-8 (the reader refuses any other), or its
      Language is not LL.
Temporary files go to $TMPDIR and are removed.
"""
import argparse
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

DOMAIN = "pam_phonemfa"
# The lookups of i18n.h: T_(catalogue, msgid), TP_(catalogue, singular,
# plural, n), TC_(catalogue, context, msgid), and the markers N_(msgid),
# NC_(context, msgid). The bare --keyword drops xgettext's default keywords
# (gettext, _, ...): the sources use none of them.
KEYWORDS = ["--keyword", "--keyword=T_:2", "--keyword=TP_:2,3", "--keyword=TC_:2c,3", "--keyword=N_",
            "--keyword=NC_:1c,2"]
# The Plural-Forms the reader accepts, spaces and parentheses removed as it
# removes them (i18n.c, read_header).
KNOWN_PLURALS = {"nplurals=1;plural=0;", "nplurals=2;plural=n!=1;", "nplurals=2;plural=n>1;"}
SOURCE_GLOBS = ["*.c", "daemon/*.c", "directory/*.c"]


def sources(srcdir):
    files = []
    for pattern in SOURCE_GLOBS:
        files += sorted(glob.glob(os.path.join(srcdir, pattern)))
    return files


def xgettext(srcdir, version, output):
    """The template, with references relative to SRCDIR's parent
    ("pam_phonemfa/auth_flow.c"). References name the file without a line
    number: the template then changes only when a string does, not whenever
    a line is added above one, and (a) does not fail every other commit."""
    srcdir = os.path.abspath(srcdir)
    parent, name = os.path.dirname(srcdir), os.path.basename(srcdir)
    files = [os.path.join(name, os.path.relpath(f, srcdir)) for f in sources(srcdir)]
    if not files:
        raise SystemExit(f"check-po: no sources under {srcdir}")
    command = (["xgettext", "--from-code=UTF-8", "--add-comments=TRANSLATORS:", "--sort-by-file",
                "--add-location=file", f"--package-name={DOMAIN}", f"--package-version={version}",
                "--copyright-holder=pam_phonemfa developers", "-o", os.path.abspath(output)]
               + KEYWORDS + files)
    run = subprocess.run(command, cwd=parent, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"check-po: xgettext failed:\n{run.stderr}")


def without_date(text):
    return [line for line in text.splitlines() if not line.startswith('"POT-Creation-Date:')]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def linguas(podir):
    path = os.path.join(podir, "LINGUAS")
    languages = []
    for line in read(path).splitlines():
        languages += line.split("#", 1)[0].split()
    return languages


class Entry:
    def __init__(self, line):
        self.line = line          # where it starts in the file
        self.end = line
        self.flags = set()
        self.obsolete = False
        self.fields = {}          # "msgctxt", "msgid", "msgid_plural", "msgstr", "msgstr[0]"...
        self.last = None

    @property
    def key(self):
        return (self.fields.get("msgctxt"), self.fields.get("msgid", ""))

    def is_header(self):
        return self.key == (None, "") and not self.obsolete

    def translations(self):
        return [v for k, v in self.fields.items() if k.startswith("msgstr")]

    def name(self):
        ctxt, msgid = self.key
        text = f'msgid "{msgid}"'
        return f'msgctxt "{ctxt}" {text}' if ctxt is not None else text


FIELD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"\s*$')
CONTINUATION = re.compile(r'^"(.*)"\s*$')


def parse_po(path):
    """The entries of a PO file, strings as written (escapes kept)."""
    entries = []
    current = None

    def finish():
        nonlocal current
        if current is not None and current.fields:
            entries.append(current)
        current = None

    for number, line in enumerate(read(path).splitlines(), 1):
        if not line.strip():
            finish()
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].lstrip()
            if line.startswith("|"):
                continue
        elif line.startswith("#"):
            if current is not None and any(k.startswith("msgstr") for k in current.fields):
                finish()
            if current is None:
                current = Entry(number)
            if line.startswith("#,"):
                current.flags |= {flag.strip() for flag in line[2:].split(",")}
            current.end = number
            continue
        field = FIELD.match(line)
        if field:
            keyword, value = field.groups()
            if current is not None and keyword in ("msgctxt", "msgid") and \
                    any(k.startswith("msgstr") for k in current.fields):
                finish()
            if current is None:
                current = Entry(number)
            current.fields[keyword] = value
            current.last = keyword
        else:
            continuation = CONTINUATION.match(line)
            if current is None or current.last is None or not continuation:
                raise SystemExit(f"check-po: {path}:{number}: cannot read this line: {line}")
            current.fields[current.last] += continuation.group(1)
        current.obsolete = current.obsolete or obsolete
        current.end = number
    finish()
    return entries


def header_fields(entry):
    fields = {}
    for line in entry.fields.get("msgstr", "").split("\\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip()] = value.strip()
    return fields


def check_template(srcdir, podir, version, tmp, failures):
    committed = os.path.join(podir, f"{DOMAIN}.pot")
    fresh = os.path.join(tmp, f"{DOMAIN}.pot")
    xgettext(srcdir, version, fresh)
    if not os.path.exists(committed):
        failures.append(f"{committed} is missing: run make pot")
        return
    old, new = without_date(read(committed)), without_date(read(fresh))
    if old != new:
        changed = [line for line in difflib.unified_diff(old, new, "committed", "from the sources", lineterm="", n=1)]
        shown = "\n    ".join(changed[:80]) + ("\n    ..." if len(changed) > 80 else "")
        failures.append(f"{DOMAIN}.pot is out of date with the sources (run make pot, then translate "
                        f"what it adds); the difference:\n    {shown}")


def entry_at(entries, line):
    for entry in entries:
        if entry.line <= line <= entry.end:
            return entry
    return None


# What phonemfa's reader (pam_phonemfa/i18n.c) refuses or ignores, and
# msgfmt --check lets through: control characters (the reader refuses the
# whole catalogue, and every login in that language is denied), and printf
# conversions other than the English ones in the same order (positional
# "%1$s" or "*" widths: the reader shows the English instead).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CONVERSION = re.compile(r"%(?:%|[^%diouxXeEfFgGaAcspnm]*[diouxXeEfFgGaAcspnm]|$)")
# The longest translation a fixed buffer of the login takes whole (a notice
# of 512 bytes with a masked number in it; a menu label of 320); longer
# ones are for blocks printed as they are (usage), whose English is long.
LONGEST = 240


def unescaped(text):
    """A .po string as the program gets it (the file keeps C escapes)."""
    escapes = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "e": "\x1b"}

    def one(match):
        body = match.group(1)
        if body[0] in "01234567":
            return chr(int(body, 8))
        if body[0] == "x":
            return chr(int(body[1:], 16))
        return escapes.get(body, body)
    return re.sub(r"\\([0-7]{1,3}|x[0-9a-fA-F]+|.)", one, text)


def conversions(text):
    return [c for c in CONVERSION.findall(text) if c != "%%"]


def check_translation(where, entry, failures):
    english = unescaped(entry.fields.get("msgid", ""))
    for translation in map(unescaped, entry.translations()):
        if CONTROL.search(translation):
            failures.append(f"{where}: a control character in the translation of {entry.name()}")
        if conversions(translation) != conversions(english):
            failures.append(f"{where}: the translation's conversions {conversions(translation)} are not the "
                            f"English {conversions(english)}, in that order: {entry.name()}")
        if len(translation.encode("utf-8")) > LONGEST and len(english.encode("utf-8")) <= LONGEST // 2:
            failures.append(f"{where}: a translation of {len(translation.encode('utf-8'))} bytes (at most "
                            f"{LONGEST} for a short text, or it is cut): {entry.name()}")


def check_po(podir, language, tmp, failures):
    po = os.path.join(podir, f"{language}.po")
    pot = os.path.join(podir, f"{DOMAIN}.pot")
    label = f"{language}.po"
    if not os.path.exists(po):
        failures.append(f"{label}: missing, but LINGUAS lists {language}")
        return
    before = len(failures)
    entries = parse_po(po)
    template = {e.key: e for e in parse_po(pot) if not e.obsolete and not e.is_header()} \
        if os.path.exists(pot) else {}
    headers = [e for e in entries if e.is_header()]
    if not headers:
        failures.append(f"{label}: no header entry")
    else:
        header = headers[0]
        if "fuzzy" in header.flags:
            failures.append(f"{label}: the header is marked fuzzy (msgfmt would drop it)")
        fields = header_fields(header)
        content_type = fields.get("Content-Type", "")
        if not re.search(r"(^|;)\s*charset=UTF-8\s*$", content_type):
            failures.append(f"{label}: Content-Type is '{content_type}', not 'text/plain; charset=UTF-8'")
        plural = fields.get("Plural-Forms")
        normal = re.sub(r"[\s()]", "", plural or "")
        if normal not in KNOWN_PLURALS:
            failures.append(f"{label}: Plural-Forms '{plural}' is not one the reader knows "
                            "('nplurals=1; plural=0;', 'nplurals=2; plural=(n != 1);', 'nplurals=2; plural=(n > 1);')")
        if fields.get("Language") != language:
            failures.append(f"{label}: Language is '{fields.get('Language')}', not '{language}'")
    present = set()
    for entry in entries:
        if entry.is_header():
            continue
        where = f"{label}:{entry.line}"
        if entry.obsolete:
            failures.append(f"{where}: obsolete entry (delete it once its text is reused): {entry.name()}")
            continue
        present.add(entry.key)
        if "fuzzy" in entry.flags:
            failures.append(f"{where}: fuzzy entry: {entry.name()}")
        elif not entry.translations() or any(t == "" for t in entry.translations()):
            failures.append(f"{where}: untranslated entry: {entry.name()}")
        else:
            check_translation(where, entry, failures)
        source = template.get(entry.key)
        if source is None:
            failures.append(f"{where}: not in {DOMAIN}.pot (run make pot): {entry.name()}")
        elif source.fields.get("msgid_plural") != entry.fields.get("msgid_plural"):
            failures.append(f"{where}: its plural differs from {DOMAIN}.pot's (run make pot): {entry.name()}")
    for key, source in template.items():
        if key not in present:
            failures.append(f"{label}: lacks an entry of {DOMAIN}.pot (run make pot): {source.name()}")
    if os.path.exists(pot):
        compared = subprocess.run(["msgcmp", po, pot], capture_output=True, text=True)
        if compared.returncode != 0 and len(failures) == before:
            failures.append(f"{label}: msgcmp against {DOMAIN}.pot fails:\n    "
                            + "\n    ".join(compared.stderr.strip().splitlines()))
    compiled = subprocess.run(["msgfmt", "--check", "-o", os.path.join(tmp, f"{language}.mo"), po],
                              capture_output=True, text=True)
    if compiled.returncode != 0:
        for message in compiled.stderr.strip().splitlines():
            at = re.match(r"^.*?:(\d+):", message)
            entry = entry_at(entries, int(at.group(1))) if at else None
            named = f" [{entry.name()}]" if entry is not None and not entry.is_header() else ""
            failures.append(f"{label}: msgfmt --check: {message}{named}")
        if not compiled.stderr.strip():
            failures.append(f"{label}: msgfmt --check failed")


def update(srcdir, podir, version, tmp):
    committed = os.path.join(podir, f"{DOMAIN}.pot")
    fresh = os.path.join(tmp, f"{DOMAIN}.pot")
    xgettext(srcdir, version, fresh)
    if os.path.exists(committed) and without_date(read(committed)) == without_date(read(fresh)):
        print(f"make pot: {committed} is up to date")
    else:
        shutil.copyfile(fresh, committed)
        print(f"make pot: {committed} regenerated")
    for language in linguas(podir):
        po = os.path.join(podir, f"{language}.po")
        if not os.path.exists(po):
            print(f"make pot: {po} is missing (LINGUAS lists {language}): create it with msginit", file=sys.stderr)
            return 1
        # --no-fuzzy-matching: a changed or new msgid arrives untranslated,
        # never with a guessed translation of a similar string marked fuzzy
        # (which someone could "fix" by deleting the flag and ship the
        # translation of another text). The old translation stays visible
        # as an obsolete #~ entry for the translator; check-po fails until
        # it is deleted.
        merged = subprocess.run(["msgmerge", "--quiet", "--update", "--backup=none", "--no-fuzzy-matching",
                                 "--add-location=file", po, committed], capture_output=True, text=True)
        if merged.returncode != 0:
            print(f"make pot: msgmerge {po} failed:\n{merged.stderr}", file=sys.stderr)
            return 1
        print(f"make pot: merged into {po}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", required=True, help="the package version the template names")
    parser.add_argument("--update", action="store_true", help="regenerate the template and merge it (make pot)")
    parser.add_argument("srcdir")
    parser.add_argument("podir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="check-po-") as tmp:
        if args.update:
            return update(args.srcdir, args.podir, args.version, tmp)
        failures = []
        check_template(args.srcdir, args.podir, args.version, tmp, failures)
        languages = linguas(args.podir)
        for language in languages:
            check_po(args.podir, language, tmp, failures)
    for stray in sorted(glob.glob(os.path.join(args.podir, "*.po"))):
        if os.path.basename(stray)[:-3] not in languages:
            print(f"check-po: note: {os.path.basename(stray)} is not in LINGUAS: neither built nor checked")
    for failure in failures:
        print(f"check-po: {failure}")
    print(f"check-po: {DOMAIN}.pot and {', '.join(l + '.po' for l in languages)}: "
          f"{'FAILED, ' + str(len(failures)) + ' problem(s)' if failures else 'up to date and complete'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
