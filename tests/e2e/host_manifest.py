#!/usr/bin/python3
"""A sha256 manifest of what the end-to-end tests must never change on the
host: PAM, sshd, sudoers and user database files, PAM modules, pam-configs,
home directories, the phone store, debconf's cache (pam-auth-update writes
it), and sshd processes the tests started."""
import hashlib
import os
import sys

FILES = ["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers",
         "/etc/login.defs"]
TREES = ["/etc/pam.d", "/etc/ssh", "/etc/sudoers.d", "/etc/phonemfa", "/etc/security",
         "/usr/share/pam-configs", "/var/lib/pam", "/var/lib/phonemfa", "/home",
         "/usr/lib/x86_64-linux-gnu/security", "/var/cache/debconf"]


def digest(path):
    try:
        if os.path.islink(path):
            return "link:" + os.readlink(path)
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as error:
        return f"unreadable:{error.errno}"


def entries():
    for path in FILES:
        yield path, digest(path) if os.path.lexists(path) else "absent"
    for tree in TREES:
        if not os.path.lexists(tree):
            yield tree, "absent"
            continue
        for root, dirs, files in os.walk(tree):
            dirs.sort()
            st = os.lstat(root)
            yield root, f"dir:{st.st_mode:o}:{st.st_uid}:{st.st_gid}"
            for name in sorted(files):
                path = os.path.join(root, name)
                st = os.lstat(path)
                yield path, f"{digest(path)}:{st.st_mode:o}:{st.st_uid}:{st.st_gid}"
    yield "processes:test-sshd", str(len(test_sshds()))


def test_sshds():
    """sshd processes the tests started (their port, 2222) that outlived the
    sandbox. Other sshd processes on the machine (its own daemon, people's
    sessions, another run's sandbox) come and go and are not counted."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"sshd" and b"2222" in argv and not in_other_pid_namespace(pid):
            found.append(pid)
    return found


def in_other_pid_namespace(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
    except OSError:
        return True


if __name__ == "__main__":
    for path, value in entries():
        sys.stdout.write(f"{path}\t{value}\n")
