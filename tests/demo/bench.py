#!/usr/bin/python3
"""make bench: what pam_phonemfa costs a login, side by side with the
in-tree baseline of a plain pam_permit login, against the fake service on
loopback through a warm phonemfad. Figures (targets of issue 11 beside them):

  module-side time  of a text-code login on a warm daemon: from the menu
                    answer to the code prompt plus from the code to the PAM
                    result, i.e. what the application waits for besides the
                    user (median, p90; target <= 2 ms)
  handshakes        TLS handshakes the fake service completed per warm login
                    (target 0)
  load              pam_start + pam_authenticate + pam_end of a stack that
                    loads the module without calling it, minus the same for
                    pam_permit alone (median; target <= 0.5 ms)
  256 at once       logins/s and p99 of 256 logins (256 users) started
                    together (full pamclient runs), against 256 pam_permit runs
  daemon RSS        phonemfad's resident memory after 1,000 and after
                    BENCH_RSS_LOGINS (10,000) logins (target: flat)
  directories       (issue 12) from pam_start to the menu, which includes
                    finding the user's phones, on a warm daemon: the local
                    store, a real slapd on loopback (ldaps, AD layout) and
                    the Graph fake, each with 100 and with 10,000 users
                    (target: at most 1 ms more than files; flat in users)
  language          (issue 14) to the menu for a user who reads English and
                    for one who reads Japanese: the catalogue is read for
                    each login

Nothing here is a test: the figures are printed, never asserted.
"""
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pam"))
sys.path.insert(0, os.path.join(HERE, "..", "fake_service"))

from harness import BUILD, MODULE, PAM_SUCCESS, Environment  # noqa: E402
from graph_fake import GraphService  # noqa: E402
from phonenet import PhoneNetworkService  # noqa: E402
from scratch import scratch_dir  # noqa: E402
from slapd import Slapd  # noqa: E402
from test_directory_entra import entra_config  # noqa: E402
from test_directory_ldap import ldap_config  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "200"))
RSS_LOGINS = int(os.environ.get("BENCH_RSS_LOGINS", "10000"))
CONCURRENT = 256
NUMBER = "+15555550117"
LOAD_BENCH = os.path.join(BUILD, "tests", "pam_load_bench")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def timed_login(env, user="bench", number=NUMBER):
    """(module-side ms, full ms) of one text-code login."""
    started = time.perf_counter()
    login = env.login(user=user)
    login.prompt()
    t0 = time.perf_counter()
    login.answer("1")
    login.prompt()
    t1 = time.perf_counter()
    code = env.network.last_code(number)
    t2 = time.perf_counter()
    login.answer(code)
    if login.finish() != PAM_SUCCESS:
        raise SystemExit(f"bench: a login failed: {login.logs()}")
    t3 = time.perf_counter()
    return ((t1 - t0) + (t3 - t2)) * 1000, (t3 - started) * 1000


def permit_login(env):
    started = time.perf_counter()
    login = env.login(user="bench", service="permit")
    if login.finish() != PAM_SUCCESS:
        raise SystemExit("bench: the pam_permit baseline failed")
    return (time.perf_counter() - started) * 1000


def daemon_rss_kib(env):
    with open(f"/proc/{env.daemon.process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def load_time(env):
    """Median µs of pam_start..pam_end: the module loaded (not called), and pam_permit alone."""
    env.write("pam.d/loads-module", f"auth sufficient pam_permit.so\nauth required {MODULE} {env.module_args}\n")
    env.write("pam.d/permit-only", "auth sufficient pam_permit.so\n")
    runs = str(max(RUNS, 200))
    with_module = float(subprocess.run([LOAD_BENCH, env.pam_dir, "loads-module", runs], check=True,
                                       capture_output=True, text=True).stdout)
    permit = float(subprocess.run([LOAD_BENCH, env.pam_dir, "permit-only", runs], check=True,
                                  capture_output=True, text=True).stdout)
    return with_module, permit


def at_once(count, action):
    """(logins/s, p99 ms) of count actions started together."""
    latencies, errors = [], []

    def run():
        try:
            latencies.append(action())
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
    threads = [threading.Thread(target=run) for _ in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"bench: {len(errors)} of {count} logins failed: {errors[0]}")
    return count / elapsed, percentile(latencies, 0.99)


LIMITS = ("lockout: { failures = 200; window = 60; duration = 10; };\n"
          "limits: { sends_per_user = 200; window = 10; };")


def time_to_menu(env):
    """ms from starting the client to the menu (the phones found), then the
    login finished as a user would."""
    started = time.perf_counter()
    login = env.login(user="bench")
    login.prompt()
    shown = time.perf_counter()
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(NUMBER))
    if login.finish() != PAM_SUCCESS:
        raise SystemExit(f"bench: a directory login failed: {login.logs()}")
    return (shown - started) * 1000


def directory_figures(service, work):
    """{label: median ms to the menu} for each backend and size."""
    figures = {}
    servers = []
    try:
        for users in (100, 10000):
            ldap = Slapd(os.path.join(work, f"slapd-{users}"), users=users).start()
            graph = GraphService(os.path.join(work, f"graph-{users}")).start()
            servers += [ldap, graph]
            ldap.add_user("ad", "bench", mobile=NUMBER)
            graph.add_users_bulk(users)
            graph.add_user("bench@example.test", phones={"mobile": "+1 5555550117"})
            for label, configure in ((f"files {users}", None),
                                     (f"ldap {users}", lambda env, s=ldap: ldap_config(
                                         env, s, filter_="(sAMAccountName=%l)", extra=LIMITS)),
                                     (f"entra {users}", lambda env, s=graph: entra_config(
                                         env, s, timeout=10, extra=LIMITS))):
                env = Environment(service, prefix="phonemfa-bench-")
                try:
                    if configure is None:
                        env.set_config(extra=LIMITS)
                        for i in range(users):
                            env.enroll(f"user{i:05d}", {"primary": f"+1555501{i:05d}"})
                        env.enroll("bench", {"primary": NUMBER})
                    else:
                        configure(env)
                    env.start_daemon()
                    time_to_menu(env)  # warm: connections, token
                    figures[label] = statistics.median(time_to_menu(env) for _ in range(RUNS // 2))
                finally:
                    env.cleanup()
    finally:
        for server in servers:
            server.stop()
    return figures


def language_figures(service):
    """(English, Japanese) median ms to the menu: what reading the user's
    catalogue (build/locale/ja) costs each login (issue 14)."""
    env = Environment(service, prefix="phonemfa-bench-language-")
    try:
        env.set_config(extra=f'texts: {{ translations = "{os.path.join(BUILD, "locale")}"; }};\n'
                             "lockout: { failures = 200; window = 60; duration = 10; };\n"
                             "limits: { sends_per_user = 0; };")
        figures = []
        for language in (None, "ja"):
            path = env.enroll("bench", {"primary": NUMBER})
            if language:
                record = open(path).read().rstrip().rstrip("}") + f', "language": "{language}"}}'
                env.write_record("bench", record)
            time_to_menu(env)  # warm
            figures.append(statistics.median(time_to_menu(env) for _ in range(RUNS // 2)))
        return figures
    finally:
        env.cleanup()


def main():
    if os.geteuid() != 0:
        raise SystemExit("make bench must run as root (root-owned config and store)")
    service = PhoneNetworkService(scratch_dir("phonemfa-bench-")).start()
    env = Environment(service, prefix="phonemfa-bench-")
    # The limits stay on (the defaults count every send); generous enough
    # that thousands of logins of one user are never stopped.
    env.set_config(extra="lockout: { failures = 200; window = 60; duration = 10; };\n"
                         "limits: { sends_per_user = 200; window = 10; };")
    env.relax_timeouts()
    env.enroll("bench", {"primary": NUMBER})
    # A user (and number) of its own for each login started together, so
    # each finds its own code at the fake.
    for i in range(CONCURRENT):
        env.users[f"load{i:03d}"] = (3000 + i, 100)
        env.enroll(f"load{i:03d}", {"primary": f"+1555552{i:04d}"})
    env.write_nss()
    env.write("pam.d/permit", "auth required pam_permit.so\n")
    try:
        env.start_daemon()
        timed_login(env)  # warm: the pool has its connection now
        service.network.reset()
        # Round the users: the send limit (at most 200 a window) is per user.
        warm = [timed_login(env, f"load{i % CONCURRENT:03d}", f"+1555552{i % CONCURRENT:04d}")
                for i in range(RUNS)]
        handshakes = service.network.tls_handshakes / RUNS
        permit = [permit_login(env) for _ in range(RUNS)]
        module_load, permit_load = load_time(env)

        users = iter(range(CONCURRENT))
        lock = threading.Lock()

        def own_user_login():
            with lock:
                index = next(users)
            return timed_login(env, f"load{index:03d}", f"+1555552{index:04d}")[1]
        rate, p99 = at_once(CONCURRENT, own_user_login)
        permit_rate, permit_p99 = at_once(CONCURRENT, lambda: permit_login(env))
        rss_start = daemon_rss_kib(env)
        rss = {}
        done = 0
        for target in (1000, RSS_LOGINS):
            # Four users at a time, each its own number: four logins in flight.
            while done < target:
                batch = min(4, target - done)
                # Round the 256 users: no one user meets the send limit.
                picks = [(done + i) % CONCURRENT for i in range(batch)]
                threads = [threading.Thread(target=timed_login, args=(env, f"load{i:03d}", f"+1555552{i:04d}"))
                           for i in picks]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                done += batch
            rss[target] = daemon_rss_kib(env)
        env.cleanup()
        directories = directory_figures(service, scratch_dir("phonemfa-bench-directories-"))
        english, japanese = language_figures(service)
    finally:
        service.stop()
        env.cleanup()
    modules = [m for m, _ in warm]
    print(f"bench: fake service on loopback, warm phonemfad, {os.cpu_count()} cores, {RUNS} logins a figure")
    print(f"bench: module-side time of a text-code login: median {statistics.median(modules):.2f} ms, "
          f"p90 {percentile(modules, 0.9):.2f} ms (target <= 2 ms; pam_permit: no second step)")
    print(f"bench: full login (pamclient start to result): median {statistics.median(w for _, w in warm):.1f} ms "
          f"| pam_permit {statistics.median(permit):.1f} ms")
    print(f"bench: TLS handshakes per warm login: {handshakes:.2f} (target 0)")
    print(f"bench: pam_start+authenticate+end with the module loaded: {module_load / 1000:.3f} ms "
          f"| pam_permit alone {permit_load / 1000:.3f} ms | module load {(module_load - permit_load) / 1000:.3f} ms "
          f"(target <= 0.5 ms)")
    print(f"bench: {rate:.0f} logins/s, p99 {p99:.0f} ms with {CONCURRENT} logins at once "
          f"| pam_permit {permit_rate:.0f} logins/s, p99 {permit_p99:.0f} ms with {CONCURRENT} at once")
    print(f"bench: phonemfad RSS: {rss_start} KiB warm, {rss[1000]} KiB after 1,000 logins, "
          f"{rss[RSS_LOGINS]} KiB after {RSS_LOGINS:,} (target: flat)")
    print(f"bench: to the menu in English {english:.2f} ms | in Japanese (the user's catalogue read) "
          f"{japanese:.2f} ms ({japanese - english:+.2f})")
    for users in (100, 10000):
        files = directories[f"files {users}"]
        print(f"bench: to the menu with {users:,} users: files {files:.2f} ms | "
              f"ldap {directories[f'ldap {users}']:.2f} ms ({directories[f'ldap {users}'] - files:+.2f}) | "
              f"entra {directories[f'entra {users}']:.2f} ms ({directories[f'entra {users}'] - files:+.2f}) "
              f"(target: at most +1 ms; flat from 100 to 10,000 users)")


if __name__ == "__main__":
    main()
