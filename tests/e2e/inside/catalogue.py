"""The shipped translations as the tests read them: a small reader of the
.po files in pam_phonemfa/po (the tests' expectations come from the same
file the product's catalogue is built from, so a translation can be
corrected in one place), and regular expressions made from translated
printf formats (to recognise a prompt whatever number it shows)."""
import ast
import os
import re

ROOT = os.environ.get("PHONEMFA_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
PO_DIR = os.path.join(ROOT, "pam_phonemfa", "po")


def _unquote(text):
    return ast.literal_eval(text) if text else ""


def read_po(language):
    """{msgid: msgstr}, {(msgid, msgid_plural): [forms]}, {(context, msgid): msgstr}."""
    plain, plural, context = {}, {}, {}
    entry = {}
    key = None

    def flush():
        if "msgid" in entry and entry["msgid"]:
            if "msgid_plural" in entry:
                forms = [entry[k] for k in sorted(k for k in entry if k.startswith("msgstr["))]
                plural[(entry["msgid"], entry["msgid_plural"])] = forms
            elif "msgctxt" in entry:
                context[(entry["msgctxt"], entry["msgid"])] = entry["msgstr"]
            else:
                plain[entry["msgid"]] = entry["msgstr"]
        entry.clear()

    with open(os.path.join(PO_DIR, f"{language}.po"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                key = None
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
            if match:  # (entries are separated by blank lines, as msgmerge writes them)
                key = match.group(1)
                entry[key] = _unquote(match.group(2))
            elif line.startswith('"') and key is not None:
                entry[key] += _unquote(line)
    flush()
    return plain, plural, context


class Catalogue:
    def __init__(self, language):
        self.language = language
        self.plain, self.plural, self.context = read_po(language)

    def text(self, msgid):
        translation = self.plain.get(msgid)
        assert translation, f"{self.language}.po has no translation of {msgid!r}"
        return translation

    def plural_text(self, singular, plural, n):
        forms = self.plural.get((singular, plural))
        assert forms and all(forms), f"{self.language}.po has no translation of {singular!r}"
        index = 0 if len(forms) == 1 else (0 if n == 1 else 1)
        return forms[index]

    def country(self, name):
        return self.context.get(("country", name)) or name


def format_regex(fmt):
    """A regular expression matching what printf(fmt, ...) prints."""
    out = []
    for part in re.split(r"(%%|%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[diouxXscp])", fmt):
        if part == "%%":
            out.append("%")
        elif part.startswith("%") and part[-1] in "diouxX":
            out.append(r"\d+")
        elif part.startswith("%"):
            out.append(r".+?")
        else:
            out.append(re.escape(part))
    return "".join(out)
