#!/usr/bin/python3
"""make demo: a real PAM login through pam_phonemfa.so against a simulated
phone network, with no account anywhere.

Interactive (the default, on a terminal): you are user "demo"; pick a phone
from the menu, watch the text or call arrive on the simulated network, and
type the code. Scripted (--scripted, run by make check): the same flows are
played automatically and checked."""
import argparse
import getpass
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pam"))
sys.path.insert(0, os.path.join(HERE, "..", "fake_service"))

from harness import PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, Environment  # noqa: E402
from phonenet import PhoneNetworkService  # noqa: E402
from scratch import scratch_dir  # noqa: E402
from twilio_fake import TwilioService  # noqa: E402

DEMO_USER = "demo"
PRIMARY = "+15555550117"
ALTERNATE = "+447700900123"
RESULT_NAMES = {PAM_SUCCESS: "PAM_SUCCESS", PAM_AUTH_ERR: "PAM_AUTH_ERR",
                PAM_AUTHINFO_UNAVAIL: "PAM_AUTHINFO_UNAVAIL", 19: "PAM_CONV_ERR", 3: "PAM_SERVICE_ERR"}
DIM, BOLD, RESET = ("\033[2m", "\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


SERVICES = {"phonemfa": PhoneNetworkService, "twilio": TwilioService}


def set_up(provider, verbose):
    if os.geteuid() != 0:
        sys.exit("make demo must run as root: the module only trusts a root-owned config and store")
    work = scratch_dir("phonemfa-demo-")
    service = SERVICES[provider](work, verbose=verbose).start()
    env = Environment(service, prefix="phonemfa-demo-")
    env.enroll(DEMO_USER, {"primary": PRIMARY, "alternate": ALTERNATE})
    env.write_stack("phonemfa-demo")
    return service, env


def interactive(env):
    provider = "Twilio Verify (simulated)" if env.twilio else "the phonemfa protocol"
    print(f"""{BOLD}pam_phonemfa demo{RESET} — verification service: {provider}
The module runs inside a real PAM transaction (libpam, service "phonemfa-demo",
config in {env.dir}). User "{DEMO_USER}" has a primary phone {PRIMARY} and an
alternate {ALTERNATE}. Texts and calls arrive on the simulated phone network
below; type the code you "receive". Lines marked [syslog] are what the module
logs (authpriv). Try a wrong code, or Enter at the code prompt to go back.
""")
    login = env.login(user=DEMO_USER, service="phonemfa-demo", rhost="198.51.100.7", tty="pts/0")
    while True:
        event = login.next_event()
        kind = event["event"]
        if kind == "log":
            print(f"{DIM}[syslog] {event['text']}{RESET}")
        elif kind in ("info", "error"):
            print(event["text"])
        elif kind == "prompt":
            try:
                if event["style"] == "echo_off":
                    answer = getpass.getpass(event["text"])
                else:
                    answer = input(event["text"])
            except EOFError:
                login.process.stdin.close()
                continue
            login.answer(answer)
        elif kind == "result":
            login.wait()
            name = RESULT_NAMES.get(event["code"], str(event["code"]))
            verdict = "login accepted" if event["code"] == PAM_SUCCESS else "login refused"
            print(f"\n{BOLD}PAM result: {name} — {verdict}{RESET}")
            return 0


def scenario_text_primary(env):
    login = env.login(user=DEMO_USER, service="phonemfa-demo")
    assert "1) Text +X XXXXXXXX17" in login.prompt()["text"]
    login.answer("1")
    assert login.prompt()["text"].startswith("Code sent to +X XXXXXXXX17.")
    login.answer(env.network.last_code(PRIMARY))
    return login.finish() == PAM_SUCCESS and login.outcome()["reason"] == "approved"


def scenario_wrong_code_then_alternate_by_call(env):
    login = env.login(user=DEMO_USER, service="phonemfa-demo")
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer("000000" if env.network.last_code(PRIMARY) != "000000" else "111111")
    assert login.prompt()["text"].startswith("Wrong code, 2 attempts left.")
    login.answer("")
    assert "4) Call +XX XXXXXXXX23 (alternate)" in login.prompt()["text"]
    login.answer("4")
    assert login.prompt()["text"].startswith("Calling +XX XXXXXXXX23.")
    login.answer(env.network.last_code(ALTERNATE))
    return login.finish() == PAM_SUCCESS


def scenario_landline_offers_a_call(env):
    env.network.number_kinds[PRIMARY] = "landline"
    login = env.login(user=DEMO_USER, service="phonemfa-demo")
    login.prompt()
    login.answer("1")
    assert login.prompt()["text"].startswith("That phone cannot receive texts. Call it instead (now the default).")
    login.answer("")
    login.prompt()
    login.answer(env.network.last_code(PRIMARY))
    return login.finish() == PAM_SUCCESS


def scenario_abandoned_verification_is_cancelled(env):
    login = env.login(user=DEMO_USER, service="phonemfa-demo")
    login.prompt()
    login.answer("1")
    login.prompt()
    login.answer("")
    login.prompt()
    return login.finish() == 19 and len(env.network.ops("cancel")) == 1


def scenario_call_approved_with_hash(env):
    env.network.call_mode = "approval"
    login = env.login(user=DEMO_USER, service="phonemfa-demo")
    login.prompt()
    login.answer("2")
    assert "press # to approve" in login.prompt()["text"]
    env.network.answer_call(PRIMARY, "approve")
    login.answer("")
    return login.finish() == PAM_SUCCESS


def scenario_call_declined(env):
    env.network.call_mode = "approval"
    login = env.login(user=DEMO_USER, service="phonemfa-demo")
    login.prompt()
    login.answer("2")
    login.prompt()
    env.network.answer_call(PRIMARY, "decline")
    login.answer("")
    return login.finish() == PAM_AUTH_ERR and "The call was declined." in login.messages()


def scenario_service_down(env):
    env.set_config(urls=["https://127.0.0.1:1"])
    login = env.login(user=DEMO_USER, service="phonemfa-demo")
    login.prompt()
    login.answer("1")
    return login.finish() == PAM_AUTHINFO_UNAVAIL and login.outcome()["reason"] == "service_unavailable"


COMMON = [scenario_text_primary, scenario_wrong_code_then_alternate_by_call,
          scenario_landline_offers_a_call, scenario_abandoned_verification_is_cancelled,
          scenario_service_down]
# Only the phonemfa protocol has calls approved by pressing #.
SCENARIOS = {"phonemfa": COMMON + [scenario_call_approved_with_hash, scenario_call_declined],
             "twilio": COMMON}


def scripted(provider, service, env):
    passed = failed = 0
    for scenario in SCENARIOS[provider]:
        if hasattr(service, "reset"):
            service.reset()
        else:
            service.network.reset()
        env.set_config()
        try:
            ok = scenario(env)
        except AssertionError as error:
            ok = False
            print(f"  {scenario.__name__}: {error}")
        violations = getattr(getattr(service, "twilio", None), "violations", [])
        if violations:
            ok = False
            print(f"  requests Twilio's spec rejects: {violations}")
        print(f"demo [{provider}] {scenario.__name__[9:]}: {'ok' if ok else 'FAILED'}")
        passed, failed = passed + ok, failed + (not ok)
    return passed, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripted", action="store_true", help="play the flows automatically")
    parser.add_argument("--provider", choices=("phonemfa", "twilio"),
                        help="verification service (interactive default: phonemfa; scripted: both)")
    args = parser.parse_args()
    scripted_mode = args.scripted or not sys.stdin.isatty()
    if not args.scripted and scripted_mode:
        print("make demo: no terminal on stdin, so playing the scripted demo instead")
    if not scripted_mode:
        service, env = set_up(args.provider or "phonemfa", verbose=True)
        try:
            return interactive(env)
        finally:
            service.stop()
            env.cleanup()
    passed = failed = 0
    for provider in [args.provider] if args.provider else ["phonemfa", "twilio"]:
        service, env = set_up(provider, verbose=False)
        try:
            p, f = scripted(provider, service, env)
        finally:
            service.stop()
            env.cleanup()
        passed, failed = passed + p, failed + f
    print(f"demo: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
