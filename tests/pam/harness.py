"""Drive pam_phonemfa.so through the real libpam with build/tests/pamclient,
against the fake phone network, in a private configuration directory.

A Login is a conversation: read the next prompt, answer it, and at the end
read the PAM result and the module's log lines."""
import json
import os
import queue
import re
import shutil
import subprocess
import signal
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# PHONEMFA_BUILD: another build of the same tree (make check-clang, make coverage).
BUILD = os.environ.get("PHONEMFA_BUILD") or os.path.join(ROOT, "build")
MODULE = os.path.join(BUILD, "pam_phonemfa.so")
DAEMON = os.path.join(BUILD, "phonemfad")
PAMCLIENT = os.path.join(BUILD, "tests", "pamclient")
AUTHTOK_MODULE = os.path.join(BUILD, "tests", "pam_test_authtok.so")
SUPPRESSIONS = os.path.join(ROOT, "tests", "pam", "valgrind.supp")
USE_VALGRIND = os.environ.get("PHONEMFA_VALGRIND") == "1"
EVENT_TIMEOUT = 120 if USE_VALGRIND else 30

# The module looks every user up in NSS (and groups, for the access
# controls). The tests' users and groups live in files of each test's own,
# served through nss_wrapper: nothing is added to the host's databases.
NSS_WRAPPER = "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"
USERS = {"root": 0, "daemon": 1, "alice": 1001, "bob": 1002, "carol": 1003, "svc-backup": 1004,
         "bench": 1005, "demo": 1006}
GROUPS = {"root": (0, []), "daemon": (1, ["daemon"]), "users": (100, [])}

PAM_SUCCESS = 0
PAM_SERVICE_ERR = 3
PAM_PERM_DENIED = 6
PAM_AUTH_ERR = 7
PAM_AUTHINFO_UNAVAIL = 9
PAM_USER_UNKNOWN = 10
PAM_CONV_ERR = 19
PAM_IGNORE = 25

# The module's own result as the stack reveals it: success and failures end
# the stack at once ("done"/"die"); PAM_IGNORE falls through to pam_echo (a
# marker the conversation sees) and then pam_deny: ignore never grants.
IGNORE_MARKER = "phonemfa-returned-ignore"
STACK = """{before}auth [success=done ignore=ignore default=die] {module} {args}
auth requisite pam_echo.so {marker}
auth required pam_deny.so
"""


def default_config(service_urls, ca_file, token_file, store, extra="", twilio=None, state=None):
    urls = ", ".join(f'"{u}"' for u in service_urls)
    provider = ""
    if twilio is not None:
        provider = 'provider = "twilio";'
        extra = (f'twilio: {{ service_sid = "{twilio.service_sid}"; '
                 f'api_key_sid = "{twilio.api_key_sid}"; }};\n') + extra
    return f"""
service: {{
  {provider}
  urls = [ {urls} ];
  token_file = "{token_file}";
  ca_file = "{ca_file}";
  connect_timeout = 2;
  request_timeout = 4;
}};
store: {{ directory = "{store}"; }};
{f'state: {{ directory = "{state}"; }};' if state else ""}
{extra}
"""


def run_parallel(count, action):
    """action() in count threads at once; any exception fails the caller."""
    errors = []

    def run():
        try:
            action()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


DAEMON_LINE = re.compile(r"^phonemfad: \[(\d+)\] (.*)$")


class Daemon:
    """phonemfad in the foreground for one test's environment: its own
    config, socket and nss_wrapper files; its log lines go to a file that a
    login reads once it has its result (the daemon writes a login's lines
    before it sends the result, so they are all there)."""

    def __init__(self, directory, config_path, environment, args=()):
        self.socket = os.path.join(directory, "phonemfad.sock")
        self.log_path = os.path.join(directory, "phonemfad.log")
        self.valgrind_log = os.path.join(directory, "phonemfad-valgrind.log") if USE_VALGRIND else None
        argv = [DAEMON, "-f", "--config", config_path, "--socket", self.socket]
        self.environment = environment
        for name in sorted(environment):
            if name == "LD_PRELOAD" or name.startswith("NSS_"):
                argv += ["--keep-env", name]
        argv += list(args)
        if self.valgrind_log:
            argv = ["valgrind", "--quiet", "--vgdb=no", "--error-exitcode=99", "--leak-check=full",
                    "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
                    f"--suppressions={SUPPRESSIONS}", f"--log-file={self.valgrind_log}"] + argv
        self.log_file = open(self.log_path, "a")
        # Earlier daemons of this test wrote to the same file: only what
        # this one writes counts as its start.
        self.start_offset = os.path.getsize(self.log_path)
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                        stderr=self.log_file, env=environment)
        deadline = time.monotonic() + EVENT_TIMEOUT
        while "ready: listening on" not in self.text()[self.start_offset:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"phonemfad did not start: {self.text()}")
            time.sleep(0.01)

    def text(self):
        with open(self.log_path) as log:
            return log.read()

    def lines(self):
        return self.text().splitlines()

    def client_lines(self, pid):
        """The lines of one client's logins, as "phonemfad: <text>"."""
        lines = []
        for line in self.lines():
            match = DAEMON_LINE.match(line)
            if match and int(match.group(1)) == pid:
                lines.append(f"phonemfad: {match.group(2)}")
        return lines

    def wait_for(self, pattern, timeout=EVENT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines():
                if re.search(pattern, line):
                    return line
            time.sleep(0.02)
        raise AssertionError(f"phonemfad never logged {pattern!r}: {self.text()}")

    def reload(self):
        self.process.send_signal(signal.SIGHUP)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=EVENT_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"phonemfad did not stop on SIGTERM: {self.text()}")
        self.log_file.close()
        if self.valgrind_log:
            report = open(self.valgrind_log).read() if os.path.exists(self.valgrind_log) else ""
            assert self.process.returncode != 99 and report.strip() == "", \
                f"valgrind reported errors in phonemfad (exit {self.process.returncode}):\n{report}"


class Login:
    def __init__(self, argv, valgrind_log=None, extra_env=None, daemon=None):
        self.daemon = daemon
        self.valgrind_log = valgrind_log
        self.events = []
        environment = dict(os.environ, **(extra_env or {}))
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, bufsize=1,
                                        env=environment)
        self._queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.result = None

    def _read(self):
        for line in self.process.stdout:
            self._queue.put(json.loads(line))
        self._queue.put(None)

    def _next(self):
        event = self._queue.get(timeout=EVENT_TIMEOUT)
        if event is None:
            raise AssertionError(f"pamclient ended early; events: {self.events}; "
                                 f"stderr: {self.process.stderr.read()}")
        self.events.append(event)
        return event

    def next_event(self):
        """The next event of any kind (prompt, info, error, log, result)."""
        event = self._next()
        if event["event"] == "result":
            self.result = event["code"]
        return event

    def wait(self):
        """After the result: reap the process and check valgrind's report."""
        self.process.wait(timeout=EVENT_TIMEOUT)
        self._check_valgrind()
        return self.result

    def prompt(self):
        """The next prompt (collecting messages and log lines on the way)."""
        while True:
            event = self._next()
            if event["event"] == "prompt":
                return event
            if event["event"] == "result":
                raise AssertionError(f"expected a prompt, got the result {event}; events: {self.events}")

    def answer(self, text):
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def finish(self):
        """Close the input and return the PAM result code."""
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        while True:
            event = self._next()
            if event["event"] == "result":
                self.result = event["code"]
                break
        self.process.wait(timeout=EVENT_TIMEOUT)
        self._check_valgrind()
        return self.result

    def _check_valgrind(self):
        if self.valgrind_log is None:
            return
        with open(self.valgrind_log) as log:
            report = log.read()
        # --quiet: a clean run writes nothing at all.
        assert self.process.returncode != 99 and report.strip() == "", \
            f"valgrind reported errors (exit {self.process.returncode}):\n{report}"

    # -- what the user saw and what was logged ---------------------------
    def prompts(self):
        return [e for e in self.events if e["event"] == "prompt"]

    def messages(self):
        return [e["text"] for e in self.events if e["event"] in ("info", "error")]

    def logs(self):
        """The module's own lines, then phonemfad's for this client."""
        own = [e["text"] for e in self.events if e["event"] == "log"]
        return own + (self.daemon.client_lines(self.process.pid) if self.daemon else [])

    def outcome_lines(self):
        return [line for line in self.logs() if "outcome=" in line]

    def outcome(self):
        """The single outcome line, as a dict of its key=value pairs."""
        lines = self.outcome_lines()
        assert len(lines) == 1, f"expected exactly one outcome line, got {lines}"
        pairs = re.findall(r'(\w+)=("[^"]*"|\S+)', lines[0].split(": ", 1)[1])
        return {k: v.strip('"') for k, v in pairs}

    def module_result(self):
        """The module's own return code, read through the stack."""
        if IGNORE_MARKER in self.messages():
            assert self.result == PAM_AUTH_ERR, "pam_deny must follow an ignored module"
            return PAM_IGNORE
        return self.result


class Environment:
    """A private PAM configuration, phonemfa.conf, token file and phone
    store for one test."""

    def __init__(self, service, prefix="phonemfa-test-"):
        self.service = service
        self.network = service.network
        self.twilio = getattr(service, "twilio", None)
        self.dir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.dir, 0o755)
        self.pam_dir = self.mkdir("pam.d")
        self.store = self.mkdir("store", 0o700)
        self.state = self.mkdir("state", 0o700)
        self.etc = self.mkdir("etc")
        secret = self.twilio.api_key_secret if self.twilio else self.network.token
        self.token_file = self.write("etc/service.token", secret + "\n", 0o600)
        self.config_path = os.path.join(self.etc, "phonemfa.conf")
        self.set_config()
        self._daemon_lock = threading.Lock()
        self.daemon_config = self.config_path
        self.daemon_args = []
        self.daemon = None
        self.socket = os.path.join(self.dir, "phonemfad.sock")
        self.module_args = f"socket={self.socket}"
        self.write_stack("sshd")
        # Without "other", libpam logs a complaint into every test's log lines.
        self.write("pam.d/other", "auth required pam_deny.so\n")
        self._valgrind_count = 0
        self.users = dict(USERS)
        self.groups = {name: (gid, list(members)) for name, (gid, members) in GROUPS.items()}
        self.write_nss()

    def mkdir(self, name, mode=0o755):
        path = os.path.join(self.dir, name)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        return path

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def set_config(self, extra="", urls=None, text=None):
        if text is None:
            text = default_config(urls or [self.service.url()], self.service.ca_file,
                                  self.token_file, self.store, extra, self.twilio, self.state)
        self.write("etc/phonemfa.conf", text, 0o644)
        self.stop_daemon()  # the next login starts it with this configuration

    def start_daemon(self, extra_env=None):
        """extra_env: what a test set for NSS (a test NSS module): the
        lookups happen in the daemon, so it is the daemon's environment."""
        nss = {k: v for k, v in (extra_env or {}).items() if k == "LD_PRELOAD" or k.startswith("NSS_")}
        environment = dict(os.environ, **self.nss_environment(), **nss)
        with self._daemon_lock:  # parallel logins share one daemon
            if self.daemon is not None and self.daemon.environment != environment:
                self.stop_daemon()
            if self.daemon is None:
                self.daemon = Daemon(self.dir, self.daemon_config, environment, self.daemon_args)
            return self.daemon

    def stop_daemon(self):
        daemon, self.daemon = getattr(self, "daemon", None), None
        if daemon is not None:
            daemon.stop()

    def relax_timeouts(self):
        """For many parallel logins (under valgrind especially): slow TLS is
        not what those tests are about."""
        text = open(self.config_path).read()
        text = text.replace("connect_timeout = 2;", "connect_timeout = 60;")
        text = text.replace("request_timeout = 4;", "request_timeout = 120;")
        self.set_config(text=text)

    def write_stack(self, service_name, stack=None, authtok=None):
        """authtok: what an earlier module leaves in PAM_AUTHTOK ("sshd-incorrect":
        sshd's marker for a wrong password)."""
        before = f"auth required {AUTHTOK_MODULE} {authtok}\n" if authtok else ""
        text = stack or STACK.format(module=MODULE, args=self.module_args, marker=IGNORE_MARKER,
                                     before=before)
        self.write(f"pam.d/{service_name}", text)

    # -- users and groups, as NSS answers them to the module ----------------
    def add_user(self, name, uid, gid=100):
        self.users[name] = (uid, gid)
        self.write_nss()

    def add_group(self, name, gid, members):
        self.groups[name] = (gid, list(members))
        self.write_nss()

    def write_nss(self):
        lines = []
        for name, ids in self.users.items():
            uid, gid = ids if isinstance(ids, tuple) else (ids, ids if ids < 1000 else 100)
            lines.append(f"{name}:x:{uid}:{gid}:{name}:/nonexistent:/bin/sh\n")
        self.write("passwd", "".join(lines))
        self.write("group", "".join(f"{name}:x:{gid}:{','.join(members)}\n"
                                    for name, (gid, members) in self.groups.items()))

    def nss_environment(self):
        return {"LD_PRELOAD": NSS_WRAPPER, "NSS_WRAPPER_PASSWD": os.path.join(self.dir, "passwd"),
                "NSS_WRAPPER_GROUP": os.path.join(self.dir, "group")}

    def enroll(self, user, phones, preferred=None):
        """phones: {"primary": "+15555550117", "alternate": ..., "office": ("+1...", "123")}"""
        record = {"version": 1, "phones": {}}
        for slot, number in phones.items():
            extension = None
            if isinstance(number, tuple):
                number, extension = number
            entry = {"number": number,
                     "channels": ["call"] if slot == "office" else ["text", "call"],
                     "verified_by": "text", "verified_at": "2026-11-01T10:00:00Z",
                     "added_by": user, "added_at": "2026-11-01T10:00:00Z"}
            if slot == "office":
                entry["verified_by"] = "call"
            if extension:
                entry["extension"] = extension
            record["phones"][slot] = entry
        if preferred:
            record["preferred"] = {"slot": preferred[0], "channel": preferred[1]}
        return self.write_record(user, json.dumps(record, indent=2))

    def write_record(self, user, text, mode=0o600):
        return self.write(f"store/{user}.json", text, mode)

    def login_with_code(self, choice="1", number="+15555550117", **login_args):
        """A login taken through the menu (choice) and the code the phone
        `number` received; the caller reads what follows."""
        login = self.login(**login_args)
        login.prompt()
        login.answer(choice)
        login.prompt()
        login.answer(self.network.last_code(number))
        return login

    def requests(self, op=None):
        return self.network.ops(op)

    def read_state(self, user):
        path = os.path.join(self.state, f"{user}.state")
        return json.load(open(path)) if os.path.exists(path) else None

    def write_state(self, user, state):
        self.write(f"state/{user}.state", json.dumps(state), 0o600)

    def login(self, user="alice", service="sshd", rhost="192.0.2.10", tty="ssh",
              silent=False, no_conv=False, extra_env=None, ruser=None, file_size_limit=None, run_as=None,
              pam_env=None):
        """file_size_limit: bytes, the `ulimit -f` an invoking user could set
        before su (set inside pamclient, SIGXFSZ ignored)."""
        argv = [PAMCLIENT, "--confdir", self.pam_dir, "--service", service, "--user", user]
        if rhost:
            argv += ["--rhost", rhost]
        if tty:
            argv += ["--tty", tty]
        if ruser:
            argv += ["--ruser", ruser]
        if silent:
            argv.append("--silent")
        if pam_env:  # "NAME=VALUE" the application puts in the PAM environment itself
            argv += ["--pam-env", pam_env]
        if no_conv:
            argv.append("--no-conv")
        if file_size_limit is not None:
            argv += ["--file-size-limit", str(file_size_limit)]
        valgrind_log = None
        if USE_VALGRIND:
            self._valgrind_count += 1
            valgrind_log = os.path.join(self.dir, f"valgrind-{self._valgrind_count}.log")
            argv = ["valgrind", "--quiet", "--vgdb=no", "--error-exitcode=99", "--leak-check=full",
                    "--errors-for-leak-kinds=definite,indirect",
                    "--show-leak-kinds=definite,indirect", f"--suppressions={SUPPRESSIONS}",
                    f"--log-file={valgrind_log}"] + argv
        if run_as is not None:  # (uid, gid): a client that is not root, such as a screen locker
            if valgrind_log:
                open(valgrind_log, "w").close()
                os.chown(valgrind_log, run_as[0], run_as[1])
            argv = ["setpriv", f"--reuid={run_as[0]}", f"--regid={run_as[1]}", "--clear-groups"] + argv
        daemon = self.start_daemon(extra_env)
        return Login(argv, valgrind_log, dict(self.nss_environment(), **(extra_env or {})), daemon)

    def cleanup(self):
        try:
            self.stop_daemon()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
