#!/usr/bin/python3
"""make bench: how long one full login takes through pam_phonemfa.so against
the fake service on loopback (menu, start a text, check the code: two HTTPS
requests on one connection), as the median of repeated runs.

Figures printed:
  login      pamclient start to PAM result (process start, libpam, module,
             config and store reads, TLS handshake, two requests, and the
             state writes of the default lockout and send limit: the send
             counted before it goes out, the count cleared on success)
  module     from the menu answer to the result: the module's own network
             work and those state writes

Each login starts from an empty state, so the default limits (10 texts an
hour) count every login but never stop the bench. The same is measured with
the lockout and send limit off, beside it: the difference is what counting
every send before it goes out costs.
"""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pam"))
sys.path.insert(0, os.path.join(HERE, "..", "fake_service"))

from harness import PAM_SUCCESS, Environment  # noqa: E402
from phonenet import PhoneNetworkService  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "40"))
NUMBER = "+15555550117"


def fresh_state(env):
    path = os.path.join(env.state, "bench.state")
    if os.path.exists(path):
        os.remove(path)


def one_login(env):
    fresh_state(env)
    started = time.perf_counter()
    login = env.login(user="bench")
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer(env.network.last_code(NUMBER))
    if login.finish() != PAM_SUCCESS:
        raise SystemExit("bench: a login failed")
    return time.perf_counter() - started


def measure(env, service):
    """(full login times, module times) in ms, RUNS each."""
    one_login(env)  # warm-up
    totals, modules = [], []
    for _ in range(RUNS):
        service.network.reset()
        totals.append(one_login(env) * 1000)
    for _ in range(RUNS):
        service.network.reset()
        fresh_state(env)
        login = env.login(user="bench")
        login.prompt()
        t0 = time.perf_counter()
        login.answer("1")
        login.prompt()
        t1 = time.perf_counter()
        code = env.network.last_code(NUMBER)
        t2 = time.perf_counter()
        login.answer(code)
        login.finish()
        t3 = time.perf_counter()
        modules.append(((t1 - t0) + (t3 - t2)) * 1000)
    return totals, modules


def main():
    if os.geteuid() != 0:
        raise SystemExit("make bench must run as root (root-owned config and store)")
    service = PhoneNetworkService(os.path.join("/tmp", f"phonemfa-bench-{os.getpid()}")).start()
    env = Environment(service, prefix="phonemfa-bench-")
    env.enroll("bench", {"primary": NUMBER})
    results = {}
    try:
        results["defaults"] = measure(env, service)
        # The baseline beside it: no per-user state at all.
        env.set_config(extra="lockout: { failures = 0; }; limits: { sends_per_user = 0; };")
        results["no lockout, no send limit"] = measure(env, service)
    finally:
        service.stop()
        env.cleanup()
    print(f"bench: {RUNS} logins each, fake service on loopback, {os.cpu_count()} cores")
    for name, (totals, modules) in results.items():
        print(f"bench: [{name}] full login (process start to PAM result): median "
              f"{statistics.median(totals):.1f} ms, p90 {sorted(totals)[int(RUNS * 0.9) - 1]:.1f} ms, "
              f"min {min(totals):.1f} ms")
        print(f"bench: [{name}] module work (start text + check code): median "
              f"{statistics.median(modules):.1f} ms, min {min(modules):.1f} ms")


if __name__ == "__main__":
    main()
