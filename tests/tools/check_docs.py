#!/usr/bin/python3
"""Keep the man pages true: every setting the config parser accepts must be
documented in phonemfa.conf.5, and every reason= the module can log in
pam_phonemfa.8."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def main():
    failures = []
    config_c = read("pam_phonemfa", "config.c")
    conf5 = read("docs", "phonemfa.conf.5")
    settings = set()
    for group, body in re.findall(r"static const char \*const (\w+)_settings\[\] = \{(.*?)\};", config_c, re.S):
        for name in re.findall(r'"(\w+)"', body):
            settings.add(name)
            if not re.search(rf"^\.BR {name} ", conf5, re.M):
                failures.append(f"phonemfa.conf.5 does not document {group}.{name}")
        if not re.search(rf'^\.SH "GROUP {group}"', conf5, re.M):
            failures.append(f"phonemfa.conf.5 has no section for group {group}")

    man8 = read("docs", "pam_phonemfa.8")
    sources = "".join(read("pam_phonemfa", f) for f in os.listdir(os.path.join(ROOT, "pam_phonemfa"))
                      if f.endswith(".c"))
    reasons = set(re.findall(r'reason = "(\w+)"', sources))
    reasons |= set(re.findall(r'login_log_outcome\([^;]*?"(\w+)"', sources, re.S))
    for function in ("verify_failure_name", "policy_exemption_reason"):
        body = re.search(rf"const char \*{function}.*?\n}}\n", sources, re.S).group(0)
        reasons |= set(re.findall(r'return "(\w+)";', body)) - {"ok", "unknown", "not_exempt"}
    for reason in sorted(reasons):
        if not re.search(rf"^\.BR {reason} ", man8, re.M):
            failures.append(f"pam_phonemfa.8 does not list reason {reason}")
    # Every man page renders without a single groff warning (a line that
    # starts with "." is a macro call; lintian refuses the package for it).
    pages = sorted(f for f in os.listdir(os.path.join(ROOT, "docs")) if re.search(r"\.[1-8]$", f))
    for page in pages:
        rendered = subprocess.run(["groff", "-ww", "-man", "-Tutf8", os.path.join(ROOT, "docs", page)],
                                  capture_output=True, text=True)
        if rendered.returncode != 0 or rendered.stderr:
            failures.append(f"{page}: groff warns: {rendered.stderr.strip()}")
    for failure in failures:
        print(f"check-docs: {failure}")
    checked = len(settings) + len(reasons) + len(pages)
    print(f"check-docs: {checked - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
