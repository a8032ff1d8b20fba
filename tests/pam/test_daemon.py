"""phonemfad as the module's other half: a daemon that is not there, a
socket that is not root's, clients that are not root, clients that vanish
or stall, protocol garbage, bounds, reloads, and many logins at once."""
import os
import re
import signal
import socket
import struct
import subprocess
import time

from harness import (DAEMON, PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR, PAM_SERVICE_ERR, PAM_SUCCESS, USE_VALGRIND,
                     run_parallel)

PRIMARY = "+15555550117"
UNAVAILABLE = "Phone verification is not available right now. Try again later."


def frame(kind, *fields):
    payload = kind.encode() + b"".join(tag.encode() + struct.pack(">H", len(value.encode())) + value.encode()
                                       for tag, value in fields)
    return struct.pack(">I", len(payload)) + payload


def read_frame(sock):
    try:
        return read_whole_frame(sock)
    except ConnectionResetError:  # the daemon closed with our bytes unread
        return None


def read_whole_frame(sock):
    header = sock.recv(4)
    if len(header) < 4:
        return None
    length = struct.unpack(">I", header)[0]
    data = b""
    while len(data) < length:
        chunk = sock.recv(length - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_daemon_not_running_denies_within_the_connect_bound(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.start_daemon()
    env.stop_daemon()
    assert not os.path.exists(env.socket), "a stopped daemon leaves no socket behind"
    started = time.monotonic()
    # login() would start the daemon again: this stack points elsewhere.
    env.module_args = f"socket={env.dir}/nothing-here.sock"
    env.write_stack("sshd")
    login = env.login()
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert time.monotonic() - started < 15, "the module waited for a daemon that is not there"
    assert UNAVAILABLE in login.messages()
    assert any(re.search(r"phonemfad not available: .*nothing-here.sock is missing \(is phonemfad running\?\)", line)
               for line in login.logs()), login.logs()
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("denied", "daemon_unavailable")
    assert not env.requests()


def test_a_socket_that_is_not_roots_is_not_phonemfad(env):
    """A user who got to the socket path first cannot answer for phonemfad."""
    env.enroll("alice", {"primary": PRIMARY})
    path = os.path.join(env.dir, "impostor.sock")
    env.start_daemon()  # before the directory is opened up: phonemfad refuses one anyone may write to
    os.chmod(env.dir, 0o777)
    impostor = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                                 "import socket,sys,time\n"
                                 "s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)\n"
                                 "print('ready', flush=True)\n"
                                 "c,_=s.accept(); c.sendall(b'\\x00\\x00\\x00\\x0dRc\\x00\\x08approved'); time.sleep(5)",
                                 path], stdout=subprocess.PIPE, text=True)
    try:
        assert impostor.stdout.readline().strip() == "ready"
        env.module_args = f"socket={path}"
        env.write_stack("sshd")
        login = env.login()
        assert login.finish() == PAM_AUTHINFO_UNAVAIL
        assert any(f"phonemfad not available: {path} is not a socket of root's" in line for line in login.logs())
    finally:
        os.chmod(env.dir, 0o755)
        impostor.kill()
        impostor.wait()


def test_a_client_that_is_not_root_may_ask_only_about_itself(env):
    """A screen locker runs as the user: it may verify that user, nobody else."""
    env.enroll("alice", {"primary": PRIMARY})
    env.enroll("bob", {"primary": "+15555550120"})
    bob = (1002, 100)
    login = env.login(user="alice", run_as=bob)
    assert login.finish() == PAM_AUTH_ERR
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("denied", "client_not_permitted")
    assert any("refused: a client that is not root asked about another user (client uid 1002)" in line
               for line in login.logs()), login.logs()
    # Naming another invoking user (PAM_RUSER) is root's to do.
    login = env.login(user="bob", ruser="alice", run_as=bob)
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "client_not_permitted"
    assert not env.requests()
    # Its own user: the login goes on as any other.
    login = env.login_with_code(user="bob", number="+15555550120", run_as=bob)
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["reason"] == "approved"


def test_a_killed_client_ends_as_abandoned_with_the_verification_cancelled_and_counted(env):
    env.enroll("alice", {"primary": PRIMARY})
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()  # "Code sent to ...": the text is out
    pid = login.process.pid
    login.process.kill()
    login.process.wait()
    line = env.daemon.wait_for(rf"^phonemfad: \[{pid}\] outcome=")
    assert re.search(r"outcome=abandoned reason=client_gone user=alice service=sshd .*channel=text", line), line
    deadline = time.monotonic() + 10
    while not env.requests("cancel") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert env.requests("cancel"), "the abandoned verification was not cancelled at the service"
    state = env.read_state("alice")
    assert len(state["sends"]) == 1 and len(state["failures"]) == 1, state


def test_a_stopped_client_is_abandoned_at_the_answer_timeout(env):
    """The client (su, stopped by its user) does not answer: phonemfad keeps
    the time, not the client; the login ends denied, never failmode safe."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='login: { answer_timeout = 5; failmode = "safe"; };')
    login = env.login()
    login.prompt()
    login.answer("1")
    login.prompt()
    os.kill(login.process.pid, signal.SIGSTOP)
    try:
        line = env.daemon.wait_for(rf"^phonemfad: \[{login.process.pid}\] outcome=", timeout=60)
    finally:
        os.kill(login.process.pid, signal.SIGCONT)
    assert "outcome=abandoned reason=client_gone" in line
    login.answer(env.network.last_code(PRIMARY))  # too late: the right code changes nothing
    assert login.finish() == PAM_AUTH_ERR
    assert "Phone verification timed out." in login.messages()
    assert len(login.outcome_lines()) == 1, login.outcome_lines()
    assert not any("FAILMODE SAFE" in line for line in login.logs())
    assert env.requests("cancel")
    assert not env.requests("check"), "a code that came after the end was still checked"


def connect(env):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(env.socket)
    return sock


GARBAGE = [
    b"",                                                   # connect and close
    b"\x00\x00",                                           # half a header
    struct.pack(">I", 0),                                  # an empty frame
    struct.pack(">I", 0x7fffffff) + b"L",                  # a length far over the limit
    struct.pack(">I", 40) + b"L",                          # a frame cut short
    frame("L", ("u", "alice")),                            # no version
    frame("L", ("v", "999"), ("u", "alice")),              # another version
    frame("L", ("v", "1"), ("u", "alice"), ("u", "root")), # a field twice
    frame("L", ("v", "1"), ("u", "alice"), ("Z", "x")),    # an unknown field
    frame("L", ("v", "1"), ("u", "alice"), ("o", "failmode=safe")),
    frame("X", ("v", "1")),                                # an unknown request
    struct.pack(">I", 4) + b"Lu\x00\x09",                  # a field past the end
    struct.pack(">I", 6) + b"Lu\x00\x02a\x00",             # a NUL in a value
    frame("A", ("x", "123456")),                           # an answer to nothing
]


def test_protocol_garbage_never_kills_the_daemon_and_never_passes(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.start_daemon()
    for data in GARBAGE:
        sock = connect(env)
        if data:
            sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        reply = read_frame(sock)
        sock.close()
        assert reply is None or reply[:1] == b"R", (data, reply)
        assert reply is None or b"approved" not in reply and b"ignored" not in reply, (data, reply)
    assert env.daemon.process.poll() is None, "phonemfad died of client input"
    assert "protocol error: the login request has another protocol version" in env.daemon.text()
    # A prompt answered with something else than an answer: the login ends there.
    sock = connect(env)
    sock.sendall(frame("L", ("v", "1"), ("u", "alice"), ("s", "sshd")))
    assert read_frame(sock)[:1] == b"P"
    sock.sendall(frame("L", ("v", "1"), ("u", "root")))
    sock.close()
    login = env.login_with_code()
    assert login.finish() == PAM_SUCCESS, "the daemon must still serve logins"


def test_a_silent_client_is_dropped_after_the_request_timeout(env):
    env.start_daemon()
    sock = connect(env)
    started = time.monotonic()
    assert sock.recv(1) == b""
    assert 4 <= time.monotonic() - started < 30
    assert "no request from the client: Connection timed out" in env.daemon.text()


def test_logins_beyond_the_bound_are_turned_away_at_once(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.daemon_args = ["--max-logins", "1"]
    first = env.login()
    first.prompt()
    second = env.login()
    assert second.finish() == PAM_AUTHINFO_UNAVAIL
    assert UNAVAILABLE in second.messages()
    assert (second.outcome()["outcome"], second.outcome()["reason"]) == ("denied", "daemon_busy")
    assert "turned away (uid 0): the limit of logins at once (--max-logins) is reached" in env.daemon.text()
    assert first.finish() == PAM_CONV_ERR  # the first login is untouched by the second


def test_a_user_cannot_take_every_slot(env):
    """Anyone can connect: a non-root uid gets --max-per-uid logins at once,
    root's (sshd's) logins are not counted against it."""
    env.enroll("bob", {"primary": "+15555550120"})
    env.enroll("alice", {"primary": PRIMARY})
    env.daemon_args = ["--max-per-uid", "2"]
    held = [env.login(user="bob", run_as=(1002, 100)) for _ in range(2)]
    for login in held:
        login.prompt()
    third = env.login(user="bob", run_as=(1002, 100))
    assert third.finish() == PAM_AUTHINFO_UNAVAIL
    assert "turned away (uid 1002): this uid's limit of logins at once (--max-per-uid) is reached" \
        in env.daemon.text()
    root = env.login_with_code()
    assert root.finish() == PAM_SUCCESS
    for login in held:
        assert login.finish() == PAM_CONV_ERR


def test_a_reload_that_fails_keeps_the_last_good_configuration(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.start_daemon()
    with open(env.config_path, "a") as f:
        f.write("login: { no_such_setting = 1; };\n")
    env.daemon.reload()
    env.daemon.wait_for(r"configuration reload FAILED, keeping the one loaded before: .*no_such_setting")
    login = env.login_with_code()
    assert login.finish() == PAM_SUCCESS, "a failed reload must not stop logins"
    # A good file: the reload takes it.
    env.write("etc/phonemfa.conf", open(env.config_path).read().replace("login: { no_such_setting = 1; };\n",
                                                                          'login: { unenrolled = "ignore"; };\n'))
    env.daemon.reload()
    env.daemon.wait_for(r"configuration reloaded from ")
    login = env.login(user="bob")
    assert login.finish() == PAM_AUTH_ERR and login.module_result() == 25  # PAM_IGNORE, then pam_deny
    assert login.outcome()["reason"] == "not_enrolled"


def test_a_daemon_started_with_a_broken_configuration_refuses_every_login(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(text="service: { urls = [ ]; };\n")
    login = env.login()
    assert login.finish() == PAM_SERVICE_ERR
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("error", "config_error")
    assert "configuration not valid, every login is refused until it is fixed" in env.daemon.text()
    # What an administrator runs before a reload (and ExecReload= does).
    check = subprocess.run([DAEMON, "--check-config", "--config", env.config_path], capture_output=True, text=True)
    assert check.returncode == 1 and check.stderr.startswith(f"phonemfad: {env.config_path}"), check
    env.set_config()
    assert subprocess.run([DAEMON, "--check-config", "--config", env.config_path]).returncode == 0


USERS = 16 if USE_VALGRIND else 64
PER_USER = 1 if USE_VALGRIND else 4


def test_256_concurrent_logins_over_64_users_count_everything(env):
    """Every login: a text, then three wrong codes. Each must be denied for
    wrong_code, and every send and every wrong code counted in its user's
    state: 3 failures a login (the first code is paid by the send)."""
    env.set_config(extra="lockout: { failures = 200; window = 3600; duration = 60; };\n"
                         "limits: { sends_per_user = 200; window = 3600; };")
    env.relax_timeouts()
    for i in range(USERS):
        name = f"load{i:02d}"
        env.users[name] = (3000 + i, 100)
        env.enroll(name, {"primary": f"+1555551{i:04d}"})
    env.write_nss()
    results = []

    def one(name):
        login = env.login(user=name)
        login.prompt()
        login.answer("1")
        for _ in range(3):
            login.prompt()
            login.answer("000000")
        results.append((name, login.finish(), login.outcome()))

    names = [f"load{i:02d}" for i in range(USERS) for _ in range(PER_USER)]
    queue = list(names)
    lock = __import__("threading").Lock()

    def worker():
        with lock:
            name = queue.pop()
        one(name)

    run_parallel(len(names), worker)
    assert len(results) == len(names)
    for name, code, outcome in results:
        assert code == PAM_AUTH_ERR and (outcome["outcome"], outcome["reason"]) == ("denied", "wrong_code"), \
            (name, code, outcome)
    for i in range(USERS):
        state = env.read_state(f"load{i:02d}")
        assert len(state["sends"]) == PER_USER, state
        assert len(state["failures"]) == 3 * PER_USER, state
    assert len(env.requests("start")) == len(names)
    assert len(env.requests("check")) == 3 * len(names)


def test_socket_activation_and_readiness_the_way_systemd_does_them(env):
    """systemd listens (LISTEN_PID, LISTEN_FDS, fd 3) and waits for READY=1 on
    NOTIFY_SOCKET; a reload says RELOADING=1 then READY=1, a stop STOPPING=1.
    The socket is systemd's: phonemfad leaves it in place when it stops."""
    env.enroll("alice", {"primary": PRIMARY})
    path = os.path.join(env.dir, "activated.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o666)
    listener.listen(16)
    notify_path = os.path.join(env.dir, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(30)
    environment = dict(os.environ, **env.nss_environment(), LISTEN_FDS="1", NOTIFY_SOCKET=notify_path)
    keep = [arg for name in ("LD_PRELOAD", "NSS_WRAPPER_PASSWD", "NSS_WRAPPER_GROUP") for arg in ("--keep-env", name)]
    log = open(os.path.join(env.dir, "activated.log"), "w")
    # LISTEN_PID is the daemon's own pid: the shell sets it and execs.
    daemon = subprocess.Popen(["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', DAEMON, "-f", "--config",
                               env.config_path, "--socket", os.path.join(env.dir, "not-used.sock")] + keep,
                              env=environment, stdout=log, stderr=log, close_fds=False,
                              preexec_fn=lambda: os.dup2(listener.fileno(), 3))
    try:
        assert notify.recv(4096) == b"READY=1"
        env.module_args = f"socket={path}"
        env.write_stack("sshd")
        login = env.login_with_code()
        assert login.finish() == PAM_SUCCESS
        assert not os.path.exists(os.path.join(env.dir, "not-used.sock")), "systemd's socket was not used"
        daemon.send_signal(signal.SIGHUP)
        assert re.fullmatch(rb"RELOADING=1\nMONOTONIC_USEC=\d+", notify.recv(4096))
        assert notify.recv(4096) == b"READY=1"
        daemon.send_signal(signal.SIGTERM)
        assert notify.recv(4096) == b"STOPPING=1"
        assert daemon.wait(timeout=30) == 0
        assert os.path.exists(path), "the socket is systemd's to remove"
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        log.close()
        listener.close()
        notify.close()
    text = open(os.path.join(env.dir, "activated.log")).read()
    assert "phonemfad: ready: listening on the socket systemd passed (version " in text
    assert "outcome=success reason=approved user=alice" in text


def test_one_account_cannot_take_every_slot_through_root_clients(env):
    """su and sudo are root clients whatever user runs them (found in
    review): logins of one account are bounded (--max-per-account), and
    other accounts still get in."""
    env.enroll("alice", {"primary": PRIMARY})
    env.enroll("bob", {"primary": "+15555550120"})
    env.daemon_args = ["--max-per-account", "2"]
    held = [env.login() for _ in range(2)]
    for login in held:
        login.prompt()
    third = env.login()
    assert third.finish() == PAM_AUTHINFO_UNAVAIL
    assert (third.outcome()["outcome"], third.outcome()["reason"]) == ("denied", "daemon_busy")
    assert UNAVAILABLE in third.messages()
    assert "turned away: alice has the most logins at once already (--max-per-account)" in env.daemon.text()
    bob = env.login_with_code(user="bob", number="+15555550120")
    assert bob.finish() == PAM_SUCCESS
    for login in held:
        assert login.finish() == PAM_CONV_ERR


def test_a_warm_daemon_makes_no_tls_handshake(env):
    env.enroll("alice", {"primary": PRIMARY})
    assert env.login_with_code().finish() == PAM_SUCCESS
    handshakes = env.network.tls_handshakes
    for _ in range(3):
        assert env.login_with_code().finish() == PAM_SUCCESS
    assert env.network.tls_handshakes == handshakes, "a warm login opened a new TLS connection"


def test_a_terminal_that_is_not_the_clients_never_becomes_pam_tty(env):
    """phonemfa-setup's client names its terminal; the setup worker's PAM
    stack would take it as PAM_TTY (pam_access, pam_unix's log): a forged one
    is dropped (found in review)."""
    env.start_daemon()
    sock = connect(env)
    sock.sendall(frame("S", ("v", "1"), ("t", "x ruser= rhost=203.0.113.9 user="), ("a", "check")))
    while (reply := read_frame(sock)) is not None and reply[:1] != b"R":
        pass
    sock.close()
    assert "the client's terminal is not its own: PAM_TTY not set" in env.daemon.text()


def test_a_pooled_connection_that_dies_after_the_send_never_makes_the_phone_ring_twice(env):
    """The service takes the start request on a warm (reused) connection,
    sends the text, and the connection dies before the answer. libcurl would
    send it again on a new connection; phonemfad stops that second send: one
    text only, and the login is denied (it may have been sent: never
    failmode safe)."""
    env.enroll("alice", {"primary": PRIMARY})
    env.set_config(extra='login: { failmode = "safe"; };')
    assert env.login_with_code().finish() == PAM_SUCCESS  # the pool holds a live connection now
    env.network.reset()
    env.network.add_fault({"kind": "cut", "op": "start", "at": "before_headers", "how": "close", "count": 3})
    login = env.login()
    login.prompt()
    login.answer("1")
    assert login.finish() == PAM_AUTHINFO_UNAVAIL
    assert len(env.requests("start")) == 1, "the start request went out twice"
    assert len(env.network.codes_for(PRIMARY)) == 1, "the phone got two texts"
    assert (login.outcome()["outcome"], login.outcome()["reason"]) == ("denied", "service_unavailable")
    assert not any("FAILMODE SAFE:" in line for line in login.logs())


def test_a_stopped_client_never_delays_another_login(env):
    env.enroll("alice", {"primary": PRIMARY})
    env.enroll("bob", {"primary": "+15555550120"})
    stopped = env.login()
    stopped.prompt()
    os.kill(stopped.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        bob = env.login_with_code(user="bob", number="+15555550120")
        assert bob.finish() == PAM_SUCCESS
        assert time.monotonic() - started < 30
    finally:
        os.kill(stopped.process.pid, signal.SIGCONT)
    assert stopped.finish() == PAM_CONV_ERR


def test_a_flood_of_refused_clients_is_held_back_not_logged_line_by_line(env):
    """Any local user can connect at will: the lines their garbage causes are
    bounded (found in review: a flood would push real outcome lines out of a
    rate-limited journal), and a real login is still logged."""
    env.enroll("alice", {"primary": PRIMARY})
    env.start_daemon()
    for _ in range(60):
        sock = connect(env)
        sock.sendall(frame("L", ("v", "999"), ("u", "alice")))
        sock.close()
    deadline = time.monotonic() + 10
    while env.daemon.text().count("protocol error") < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    # 20 a window; a slow run (valgrind) may see a second window begin.
    logged = env.daemon.text().count("protocol error: the login request has another protocol version")
    assert 20 <= logged <= 40, f"{logged} of 60 lines logged"
    login = env.login_with_code()
    assert login.finish() == PAM_SUCCESS
    assert login.outcome()["reason"] == "approved"
