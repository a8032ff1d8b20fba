"""The sandboxed system the end-to-end tests log in to: users, the module
and the files from conf/ installed the way docs/admin-guide.md says, a
syslog receiver on a private /dev/log, the fake verification service, and
sshd. Only ever used inside tests/e2e/run-sandboxed."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("PHONEMFA_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
CONF = os.path.join(ROOT, "conf")
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_service"))
from phonenet import PhoneNetworkService  # noqa: E402

PASSWORD = {"alice": "alice-Pass-1", "bob": "bob-Pass-2", "carol": "carol-Pass-3"}
PRIMARY = "+15555550117"
ALTERNATE = "+15555550119"
SSH_PORT = 2222


def record(user="alice"):
    """The user's phone record as stored, or None."""
    path = f"/var/lib/phonemfa/{user}.json"
    return json.load(open(path)) if os.path.exists(path) else None


def without_group(text, name):
    """The configuration text without its top-level group `name`."""
    match = re.search(rf"(?m)^{name}:\s*\{{", text)
    if match is None:
        return text
    depth, end = 0, match.start()
    for end in range(match.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    rest = text[end + 1:]
    return text[:match.start()] + (rest[1:] if rest.startswith(";") else rest)


def directory_example(name, values):
    """conf/directory/NAME.conf as a test installs it: verbatim but for the
    site-specific values, `values` mapping the example's text to the test's.
    A value the example no longer holds is an error, so a changed example
    cannot silently keep a production host name or DN."""
    with open(os.path.join(CONF, "directory", name + ".conf")) as f:
        text = f.read()
    for old, new in values.items():
        if old not in text:
            raise ValueError(f"conf/directory/{name}.conf has no {old!r} any more")
        text = text.replace(old, new)
    return text


def secret_file(path, value):
    """A one-line secret in a root-only file (mode 0600), as phonemfa demands."""
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)


def run(*argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


def install(source, target, mode=0o644):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)
    os.chown(target, 0, 0)  # before chmod: chown clears a setuid bit
    os.chmod(target, mode)


class Syslog:
    """Receives what syslog(3) sends to /dev/log (sshd's lines and the module's)."""

    def __init__(self, path="/dev/log"):
        self.lines = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self):
        while True:
            data = self.sock.recv(65536).decode("utf-8", "replace")
            with self.lock:
                self.lines.append(data)

    def mark(self):
        with self.lock:
            return len(self.lines)

    def outcome_lines(self, since, service):
        """The outcome lines for service since mark: phonemfad's ("phonemfad[PID]:
        [CLIENT] outcome=..."), or the module's for a login that never reached
        it ("pam_phonemfa(SERVICE:auth): outcome=...")."""
        daemon = re.compile(r"phonemfad\[\d+\]: \[\d+\] (outcome=.*)")
        module = re.compile(rf"pam_phonemfa\({re.escape(service)}:auth\): (outcome=.*)")
        with self.lock:
            lines = list(self.lines[since:])
        found = []
        for line in lines:
            match = daemon.search(line)
            if match and f" service={service} " in match.group(1):
                found.append(match.group(1))
            elif (match := module.search(line)):
                found.append(match.group(1))
        return found

    def outcomes(self, since, service, user, wait=3.0):
        """The outcome lines for service and user since mark."""
        deadline = time.monotonic() + wait
        while True:
            found = [line for line in self.outcome_lines(since, service) if f" user={user} " in line]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def since(self, mark):
        with self.lock:
            return list(self.lines[mark:])


class System:
    def __init__(self):
        if os.environ.get("PHONEMFA_E2E_SANDBOX") != "1":
            raise RuntimeError("the end-to-end tests change /etc: run them through tests/e2e/run-sandboxed")
        # Debian's own /etc/pam.d/sshd, before any test replaces it: the
        # mixed recipe is a one-line edit of this file.
        with open("/etc/pam.d/sshd") as f:
            self.debian_pam_sshd = f.read()
        self.syslog = Syslog()
        self.service = PhoneNetworkService(tempfile.mkdtemp(prefix="e2e-phonenet-")).start()
        self.network = self.service.network
        self.pamdir = run("pkg-config", "--variable=libdir", "pam").stdout.strip() + "/security"
        self.sshd = None
        self.daemon = None
        self._install_module()
        self._configure()
        self._users()
        self.start_daemon()

    # -- the steps of docs/admin-guide.md --------------------------------------
    def _install_module(self):
        install(os.path.join(ROOT, "build", "pam_phonemfa.so"), os.path.join(self.pamdir, "pam_phonemfa.so"))
        install(os.path.join(ROOT, "build", "phonemfad"), "/usr/local/sbin/phonemfad", 0o755)
        install(os.path.join(ROOT, "build", "phonemfa-setup"), "/usr/local/bin/phonemfa-setup", 0o755)
        # The catalogues, where make install puts them (PREFIX /usr/local).
        locale = os.path.join(ROOT, "build", "locale")
        languages = sorted(os.listdir(locale)) if os.path.isdir(locale) else []
        if not languages:
            raise RuntimeError(f"no catalogue was built in {locale}: run make first")
        for language in languages:
            target = f"/usr/local/share/locale/{language}/LC_MESSAGES"
            os.makedirs(target, mode=0o755, exist_ok=True)
            install(os.path.join(locale, language, "LC_MESSAGES", "pam_phonemfa.mo"), f"{target}/pam_phonemfa.mo")
        self.install_pam("phonemfa-setup")

    def _configure(self, failmode="secure", unenrolled="deny", urls=None, extra="", login_extra="",
                   request_timeout=None, directory=""):
        """The stock configuration with the test service. extra: groups
        appended to the file, each replacing the file's own group of that name
        (libconfig refuses a group defined twice); login_extra: settings added
        to the login group; request_timeout: seconds, replacing the stock value;
        directory: a phone directory's groups (directory_example()), put in
        place of the store group as the examples say (phonemfa refuses
        store.directory together with another backend)."""
        os.makedirs("/etc/phonemfa", mode=0o755, exist_ok=True)
        os.makedirs("/var/lib/phonemfa", mode=0o700, exist_ok=True)
        secret_file("/etc/phonemfa/service.token", self.network.token)
        install(self.service.ca_file, "/etc/phonemfa/ca.pem")
        with open(os.path.join(CONF, "phonemfa.conf")) as f:
            text = f.read()
        url_list = ", ".join(f'"{u}"' for u in (urls or [self.service.url()]))
        text = re.sub(r"urls = \[.*?\];", f"urls = [ {url_list} ];", text)
        text = text.replace("/etc/ssl/certs/ca-certificates.crt", "/etc/phonemfa/ca.pem")
        text = text.replace('failmode = "secure";', f'failmode = "{failmode}";')
        text = text.replace('unenrolled = "deny";', f'unenrolled = "{unenrolled}";')
        text = text.replace("call_answer_timeout = 90;", "call_answer_timeout = 10;")
        text = text.replace("poll_interval = 2;", "poll_interval = 0.3;")
        if login_extra:
            # A setting given here replaces the stock file's (libconfig refuses one given twice).
            for name in re.findall(r"(\w+)\s*=", login_extra):
                text = re.sub(rf"(?m)^\s*{name}\s*=.*\n", "", text, count=1)
            text = text.replace("login: {\n", "login: {\n  " + login_extra + "\n", 1)
        if request_timeout is not None:
            text = text.replace("request_timeout = 15;", f"request_timeout = {request_timeout};")
        if directory:
            text = without_group(text, "store") + "\n" + directory + "\n"
        if extra:
            for name in re.findall(r"(?m)^\s*(\w+):\s*\{", extra):
                text = without_group(text, name)
            text += "\n" + extra + "\n"
        with open("/etc/phonemfa/phonemfa.conf", "w") as f:
            f.write(text)
        os.chmod("/etc/phonemfa/phonemfa.conf", 0o644)

    def configure(self, expect_invalid=False, **settings):
        """expect_invalid: the new file does not load; phonemfad must say so
        and keep the configuration it had (returns the line it logged)."""
        self._configure(**settings)
        return self.reload_daemon(expect_invalid)

    # -- phonemfad, as its systemd unit would run it, logging to syslog ------
    def start_daemon(self, program="/usr/local/sbin/phonemfad"):
        mark = self.syslog.mark()
        self.daemon = subprocess.Popen([program], stdin=subprocess.DEVNULL)
        self.wait_for_log(mark, r"phonemfad\[\d+\]: ready: listening on /run/phonemfa/phonemfad.sock")

    def reload_daemon(self, expect_invalid=False):
        if self.daemon is None:
            return None
        mark = self.syslog.mark()
        self.daemon.send_signal(signal.SIGHUP)
        line = self.wait_for_log(mark, r"phonemfad\[\d+\]: configuration (reloaded from|reload FAILED)")
        if ("reload FAILED" in line) != expect_invalid:
            raise RuntimeError(f"unexpected answer to the reload: {line}")
        return line

    def stop_daemon(self):
        if self.daemon is not None:
            self.daemon.terminate()
            self.daemon.wait(timeout=20)
            self.daemon = None

    def settle(self, timeout=30):
        """Waits until phonemfad has no setup worker left from an earlier
        test. A worker whose client hung up still runs out the PAM failure
        delay (about 2 s after a failed re-authentication) and keeps its
        uid's place meanwhile (--max-per-uid): that is the brute-force bound,
        so a test starting during it would be turned away as busy. A worker
        that outlives its client by `timeout` is a bug and fails the test."""
        if self.daemon is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            workers = [pid for pid in os.listdir("/proc") if pid.isdigit() and self._parent(pid) == self.daemon.pid]
            if not workers:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"setup workers {workers} still running {timeout} s after their test")
            time.sleep(0.05)

    @staticmethod
    def _parent(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None

    def wait_for_log(self, mark, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.syslog.since(mark):
                if re.search(pattern, line):
                    return line
            time.sleep(0.02)
        raise RuntimeError(f"never logged {pattern!r}: {self.syslog.since(mark)}")

    def _users(self):
        for user in PASSWORD:
            run("useradd", "--create-home", "--shell", "/bin/bash", user)
        run("chpasswd", input="".join(f"{u}:{p}\n" for u, p in PASSWORD.items()))
        with open("/etc/sudoers.d/phonemfa-e2e", "w") as f:
            # passwd_tries=1: sudo would otherwise run the whole stack (password
            # and phone) again after a failure, up to three times.
            f.write("Defaults timestamp_timeout=0, passwd_tries=1\nalice ALL=(ALL) ALL\nbob ALL=(ALL) ALL\n")
        os.chmod("/etc/sudoers.d/phonemfa-e2e", 0o440)
        with open("/etc/login.defs") as f:
            defs = f.read()
        defs = re.sub(r"(?m)^LOGIN_RETRIES.*$", "LOGIN_RETRIES 1", defs)
        with open("/etc/login.defs", "w") as f:
            f.write(defs if "LOGIN_RETRIES 1" in defs else defs + "\nLOGIN_RETRIES 1\n")
        self.enroll("alice")
        self.enroll("carol")

    def enroll(self, user, phones=None, language=None):
        """language: the user's own ("ja"); None: the administrator's default."""
        import json
        phones = phones or {"primary": PRIMARY, "alternate": ALTERNATE}
        record = {"version": 1, "phones": {
            slot: {"number": number, "channels": ["text", "call"], "verified_by": "text",
                   "verified_at": "2026-11-01T10:00:00Z", "added_by": "root",
                   "added_at": "2026-11-01T10:00:00Z"} for slot, number in phones.items()}}
        if language is not None:
            record["language"] = language
        path = f"/var/lib/phonemfa/{user}.json"
        with open(path, "w") as f:
            json.dump(record, f)
        os.chmod(path, 0o600)

    def install_pam(self, service, source=None):
        # phonemfa-setup's stack is read by phonemfad alone, from its own directory.
        directory = "/etc/phonemfa/pam.d" if service == "phonemfa-setup" else "/etc/pam.d"
        os.makedirs(directory, exist_ok=True)
        install(os.path.join(CONF, "pam.d", source or service), f"{directory}/{service}")

    # -- sshd ---------------------------------------------------------------
    def start_sshd(self, snippet):
        self.stop_sshd()
        install(os.path.join(CONF, "sshd_config.d", snippet), "/etc/ssh/sshd_config.d/phonemfa.conf")
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        log = "/tmp/sshd.log"
        self.sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-p", str(SSH_PORT),
                                      "-o", "ListenAddress=127.0.0.1", "-o", "PidFile=none",
                                      "-o", "MaxAuthTries=3"],
                                     stdout=open(log, "a"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", SSH_PORT), timeout=0.2).close()
                return
            except OSError:
                if self.sshd.poll() is not None:
                    raise RuntimeError(f"sshd exited: {open(log).read()}")
                time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    def stop_sshd(self):
        if self.sshd is not None:
            self.sshd.terminate()
            self.sshd.wait(timeout=5)
            self.sshd = None

    def authorize_key(self, user):
        key = f"/tmp/{user}-key"
        if not os.path.exists(key):
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
        home = f"/home/{user}/.ssh"
        os.makedirs(home, mode=0o700, exist_ok=True)
        shutil.copyfile(key + ".pub", home + "/authorized_keys")
        run("chown", "-R", f"{user}:{user}", home)
        return key

    def close(self):
        self.stop_sshd()
        self.stop_daemon()
        self.service.stop()
