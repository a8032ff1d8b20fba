"""The network/TLS fault matrix: 144 cases (faults), each injected once into
a login and checked for four things.

* The PAM result: a fault never gives PAM_SUCCESS (the few cases that do
  succeed are faults the protocol tolerates: a slow but timely answer, extra
  unknown fields, failover away from a server that was never reached).
  Under failmode "secure" (the default) a fault gives PAM_AUTHINFO_UNAVAIL,
  or PAM_AUTH_ERR for the service's refusals; PAM_IGNORE comes only under
  failmode "safe" and only when nothing can have been sent.
* The outcome line's reason.
* Nothing is sent twice: the fake counts start requests and deliveries; a
  start that timed out or broke after it was sent is never repeated, not on
  another URL either (Twilio's 20429 "not processed" is the one documented
  retry, and it never delivers twice).
* Wall time: the whole login stays within request_timeout + connect_timeout
  + a margin, however the bytes trickle (request_timeout bounds one
  operation as a whole).

Faults are applied at the start request, at the code check, at the call
poll, in the TLS handshake and across failover URLs, against the project's
own protocol (phonenet) and the Twilio fake. One session service each is
reused; a fault is armed per request through network.add_fault().
FAULT_MATRIX_DEBUG=1 (with pytest -s) prints each case's time and log lines.

TLS 1.0/1.1: Debian's OpenSSL 3 still lets a server be limited to TLS 1.0
or 1.1, but only at security level 0 (the fake sets "@SECLEVEL=0" for that
server alone); the module, which asks for TLS 1.2 or later, must refuse it.
"""
import json
import os
import socket
import time
from dataclasses import dataclass, field

import pytest

from harness import (PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_IGNORE, PAM_SUCCESS, USE_VALGRIND)

PRIMARY = "+15555550117"
# Under valgrind everything (TLS above all) is many times slower: the same
# matrix runs with every time scaled, and a larger margin.
SCALE = 5 if USE_VALGRIND else 1
CONNECT_TIMEOUT = 1 * SCALE
REQUEST_TIMEOUT = 2 * SCALE
MARGIN = 30 if USE_VALGRIND else 3
WALL_LIMIT = REQUEST_TIMEOUT + CONNECT_TIMEOUT + MARGIN
OVER = REQUEST_TIMEOUT + 2      # a delay the module must not wait out
UNDER = 0.4 * SCALE             # a delay well within the timeout
TRICKLE = 0.1 * SCALE           # a byte every 100 ms: a whole answer takes longer than the timeout

UNAVAILABLE = "service_unavailable"
BAD = "bad_response"
AUTH = "service_auth_failed"
RATE = "rate_limited"
BUSY = "service_busy"  # Twilio 20429: the whole account, not the phone
REJECTED = "rejected"
APPROVED = "approved"
REPROMPT = "conversation_error"  # the module asked again (wrong code); the test hangs up
SAFE = "service_unavailable_failmode_safe"


@dataclass
class Case:
    id: str
    op: str                       # where the fault is: start | check | poll | handshake
    faults: list = field(default_factory=list)   # armed before the login
    later: list = field(default_factory=list)    # armed once the start was answered
    expect: str = UNAVAILABLE     # the outcome line's reason
    sent: bool = True             # the start request reached the service
    starts: int = None            # start requests the service saw (default: 1 if sent else 0)
    deliveries: int = None        # exact deliveries, when the fault leaves no doubt
    checks_max: int = 1           # check requests the service may see
    urls: str = "one"             # one | refused | refused+good | good+second[+good] | refused+refused
    failmode: str = "secure"
    provider: str = "phonenet"
    answer_call: bool = False     # poll cases: the phone approves the call
    slow: bool = False            # waits out a timeout


def f(kind, op="start", **spec):
    return dict(spec, kind=kind, op=op)


def tls(mode, **spec):
    return dict(spec, kind="tls", mode=mode)


def cert(name, **spec):
    return dict(spec, kind="wrong_cert", cert=name)


def status_body(status, body, content_type="application/json", op="start", **headers):
    return f("body", op=op, status=status, body=body, content_type=content_type, headers=headers)


def padded(answer, size):
    """answer with a "pad" field making its JSON exactly size bytes."""
    base = len(json.dumps(dict(answer, pad="")))
    text = json.dumps(dict(answer, pad="x" * (size - base)))
    assert len(text) == size
    return text


HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"
# The shape of the fake's real start answer (its id is "vf_" and 24 hex digits).
START_REAL_SHAPE = {"id": "vf_" + "0" * 24, "mode": "code", "expires_in": 600}
START_OK = {"id": "vf_0123456789abcdef", "mode": "code", "expires_in": 600}

# -- the start request (phonenet) ------------------------------------------------
START = [
    Case("start-delay-under-timeout", "start", [f("delay", seconds=UNDER)], expect=APPROVED),
    Case("start-delay-over-timeout", "start", [f("delay", seconds=OVER)], slow=True),
    Case("start-hang-before-headers", "start", [f("cut", at="before_headers", how="hang")],
         deliveries=1, slow=True),
    Case("start-hang-unprocessed", "start", [f("hang", seconds=OVER)], deliveries=0, slow=True),
    Case("start-hang-mid-headers", "start", [f("cut", at="mid_headers", how="hang")], slow=True),
    Case("start-hang-after-headers", "start", [f("cut", at="after_headers", how="hang")], slow=True),
    Case("start-hang-mid-body", "start", [f("cut", at="mid_body", how="hang")], slow=True),
    Case("start-trickled-body", "start", [f("trickle", what="body", interval=TRICKLE)], slow=True),
    Case("start-trickled-headers", "start", [f("trickle", what="headers", interval=TRICKLE)], slow=True),
    Case("start-endless-trickled-headers", "start",
         [f("trickle", what="headers", interval=TRICKLE, endless=True)], slow=True),
    Case("start-endless-trickled-body", "start",
         [f("trickle", what="body", interval=TRICKLE, endless=True)], slow=True),
    Case("start-fast-trickle-within-timeout", "start",
         [f("trickle", what="body", interval=0.005 * SCALE)], expect=APPROVED),
    Case("start-close-before-headers", "start", [f("cut", at="before_headers", how="close")],
         deliveries=1),
    # curl 7.88 takes a close in the middle of the headers for the end of an
    # answer without a body (later curls call it an error): either denies.
    Case("start-close-mid-headers", "start", [f("cut", at="mid_headers", how="close")],
         expect=(UNAVAILABLE, BAD)),
    Case("start-close-after-headers", "start", [f("cut", at="after_headers", how="close")]),
    Case("start-drop-mid-body", "start", [f("cut", at="mid_body", how="close")]),
    Case("start-reset-before-headers", "start", [f("cut", at="before_headers", how="reset")]),
    Case("start-reset-after-headers", "start", [f("cut", at="after_headers", how="reset")]),
    Case("start-reset-mid-body", "start", [f("cut", at="mid_body", how="reset")]),
    Case("start-drop-unprocessed", "start", [f("drop")], deliveries=0),
    Case("start-400KiB-header", "start", [f("huge_header", size=400 * 1024)]),
    Case("start-400-headers-of-1KiB", "start", [f("huge_header", lines=400)]),
    Case("start-endless-chunked-body", "start", [f("stream", chunked=True)], expect=BAD),
    Case("start-endless-body-to-close", "start", [f("stream", chunked=False)], expect=BAD),
    Case("start-body-64KiB-plus-1", "start", [status_body(201, padded(START_OK, 65537))], expect=BAD),
    Case("start-body-exactly-64KiB", "start",
         [f("patch", fields={"pad": "x" * (65536 - len(json.dumps(dict(START_REAL_SHAPE, pad=""))))})],
         expect=APPROVED),
    Case("start-body-200KiB", "start", [f("oversized")], expect=BAD),
    Case("start-500", "start", [f("status", status=500)]),
    Case("start-502", "start", [f("status", status=502)]),
    Case("start-503", "start", [f("status", status=503)]),
    Case("start-504", "start", [f("status", status=504)]),
    Case("start-429", "start", [f("status", status=429)], expect=RATE),
    Case("start-429-retry-after", "start", [f("status", status=429, headers={"Retry-After": "1"})],
         expect=RATE),
    Case("start-400", "start", [f("status", status=400)], expect=REJECTED),
    Case("start-401", "start", [f("status", status=401)], expect=AUTH),
    Case("start-403", "start", [f("status", status=403)], expect=AUTH),
    Case("start-404", "start", [f("status", status=404)], expect=REJECTED),
    Case("start-409", "start", [f("status", status=409)], expect=REJECTED),
    Case("start-404-proxy-html", "start", [status_body(404, HTML, "text/html")], expect=BAD),
    Case("start-302-redirect-not-followed", "start",
         [status_body(302, START_OK, Location="/v1/verifications")], expect=BAD),
    Case("start-307-redirect-to-http", "start",
         [status_body(307, "", "text/plain", Location="http://127.0.0.1:9/v1/verifications")],
         expect=BAD),
    Case("start-204-no-content", "start", [status_body(204, "", "application/json")], expect=BAD),
    Case("start-wrong-content-type", "start", [status_body(201, START_OK, "text/plain")], expect=BAD),
    Case("start-empty-body", "start", [status_body(201, "")], expect=BAD),
    Case("start-html-body", "start", [status_body(201, HTML, "text/html")], expect=BAD),
    Case("start-html-labelled-json", "start", [status_body(201, HTML)], expect=BAD),
    Case("start-truncated-json", "start", [status_body(201, '{"id": "vf_abc", "mode": "co')],
         expect=BAD),
    Case("start-duplicate-keys", "start",
         [status_body(201, '{"id": "vf_abc", "mode": "code", "mode": "call_approval"}')], expect=BAD),
    Case("start-nested-answer", "start", [status_body(201, {"verification": START_OK})], expect=BAD),
    Case("start-nul-after-json", "start",
         [status_body(201, '{"id": "vf_abc", "mode": "code"}\x00{"mode": "x"}')], expect=BAD),
    Case("start-gzip-not-asked-for", "start",
         [status_body(201, "\x1f\x8b\x08\x00garbage", **{"Content-Encoding": "gzip"})], expect=BAD),
    Case("start-http09-garbage", "start", [f("raw", data="garbage, not HTTP\r\n\r\n")]),
    Case("start-bad-status-line", "start", [f("raw", data="HTTP/1.1 twohundred OK\r\n\r\n")]),
    Case("start-conflicting-content-length", "start",
         [f("raw", data="HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                        "Content-Length: 5\r\nContent-Length: 50\r\n\r\n{}   ")]),
    Case("start-extra-unknown-fields", "start",
         [f("patch", fields={"extra": {"result": "approved"}, "trace": [1, 2]})], expect=APPROVED),
]

# -- the code check (phonenet): the right code is entered, then the fault -------
CHECK = [
    Case("check-delay-under-timeout", "check", [f("delay", "check", seconds=UNDER)], expect=APPROVED),
    Case("check-hang-before-headers", "check", [f("cut", "check", at="before_headers", how="hang")],
         slow=True),
    Case("check-hang-mid-body", "check", [f("cut", "check", at="mid_body", how="hang")], slow=True),
    Case("check-trickled-body", "check", [f("trickle", "check", what="body", interval=TRICKLE)], slow=True),
    Case("check-endless-trickled-headers", "check",
         [f("trickle", "check", what="headers", interval=TRICKLE, endless=True)], slow=True),
    Case("check-close-after-headers", "check", [f("cut", "check", at="after_headers", how="close")]),
    Case("check-drop-mid-body", "check", [f("cut", "check", at="mid_body", how="close")]),
    # No byte of an answer on a reused connection: libcurl repeats the check
    # once on a new one, where the verification is already approved (404).
    Case("check-reset-before-headers", "check", [f("cut", "check", at="before_headers", how="reset")],
         expect=(UNAVAILABLE, REJECTED), checks_max=2),
    Case("check-400KiB-header", "check", [f("huge_header", "check", size=400 * 1024)]),
    Case("check-endless-body", "check", [f("stream", "check")], expect=BAD),
    Case("check-body-over-64KiB", "check", [f("oversized", "check")], expect=BAD),
    Case("check-500", "check", [f("status", "check", status=500)]),
    Case("check-503", "check", [f("status", "check", status=503)]),
    Case("check-429", "check", [f("status", "check", status=429)], expect=RATE),
    Case("check-401", "check", [f("status", "check", status=401)], expect=AUTH),
    Case("check-404", "check", [f("status", "check", status=404)], expect=REJECTED),
    Case("check-302-redirect", "check",
         [status_body(302, {"status": "approved"}, op="check", Location="/v1/status")], expect=BAD),
    Case("check-approved-with-201", "check", [status_body(201, {"status": "approved"}, op="check")],
         expect=BAD),
    Case("check-wrong-content-type", "check",
         [status_body(200, {"status": "approved"}, "text/plain", op="check")], expect=BAD),
    Case("check-empty-body", "check", [status_body(200, "", op="check")], expect=BAD),
    Case("check-html-body", "check", [status_body(200, HTML, "text/html", op="check")], expect=BAD),
    Case("check-truncated-json", "check", [f("malformed", "check")], expect=BAD),
    Case("check-duplicate-keys", "check",
         [status_body(200, '{"status": "wrong_code", "status": "approved"}', op="check")], expect=BAD),
    Case("check-nested-status-approved", "check",
         [status_body(200, {"result": {"status": "approved"}}, op="check")], expect=BAD),
    Case("check-result-approved-not-status", "check",
         [status_body(200, {"result": "approved"}, op="check")], expect=BAD),
    Case("check-nested-approved-under-wrong-code", "check",
         [status_body(200, {"status": "wrong_code", "attempts_left": 4,
                            "detail": {"status": "approved", "result": "approved"}}, op="check")],
         expect=REPROMPT),
    Case("check-approved-uppercase", "check", [status_body(200, {"status": "APPROVED"}, op="check")],
         expect=BAD),
    Case("check-approved-negative-attempts", "check",
         [status_body(200, {"status": "approved", "attempts_left": -1}, op="check")], expect=BAD),
    Case("check-approved-extra-fields", "check",
         [f("patch", "check", fields={"extra": {"status": "denied"}, "n": 1})], expect=APPROVED),
    # TLS faults on the check's own connection: the start's was closed.
    Case("check-tls-expired-cert", "check", [f("close_after")], [cert("expired")]),
    Case("check-tls-unknown-ca", "check", [f("close_after")], [cert("unknown_ca")]),
    Case("check-tls-plain-http", "check", [f("close_after")], [tls("plain_http")]),
]

# -- the call poll (phonenet, calls approved by pressing #) ----------------------
POLL = [
    Case("poll-hang-before-headers", "poll", [f("cut", "status", at="before_headers", how="hang")],
         slow=True),
    Case("poll-502", "poll", [f("status", "status", status=502)]),
    Case("poll-drop-mid-body", "poll", [f("cut", "status", at="mid_body", how="close")]),
    Case("poll-truncated-json", "poll", [status_body(200, '{"status": "appr', op="status")], expect=BAD),
    Case("poll-nested-approved", "poll",
         [status_body(200, {"call": {"status": "approved"}}, op="status")], expect=BAD),
    Case("poll-approved-extra-fields", "poll", [f("patch", "status", fields={"by": {"x": 1}})],
         expect=APPROVED, answer_call=True),
]

# -- the TLS handshake and the connection (nothing is ever sent) ----------------
HANDSHAKE = [
    Case("tls-expired-cert", "handshake", [cert("expired")], sent=False),
    Case("tls-not-yet-valid-cert", "handshake", [cert("not_yet_valid")], sent=False),
    Case("tls-cert-for-another-host", "handshake", [cert("wrong_host")], sent=False),
    Case("tls-self-signed-cert", "handshake", [cert("self_signed")], sent=False),
    Case("tls-cert-from-unknown-ca", "handshake", [cert("unknown_ca")], sent=False),
    Case("tls-cert-for-clients-only", "handshake", [cert("client_only")], sent=False),
    Case("tls-rsa-1024-key", "handshake", [cert("weak_rsa")], sent=False),
    Case("tls-1.1-only-server", "handshake", [tls("tls1.1")], sent=False),
    Case("tls-1.0-only-server", "handshake", [tls("tls1.0")], sent=False),
    Case("tls-plain-http-server", "handshake", [tls("plain_http")], sent=False),
    Case("tls-close-after-client-hello", "handshake", [tls("close")], sent=False),
    Case("tls-close-mid-handshake", "handshake", [tls("close_mid")], sent=False),
    Case("tls-reset-on-accept", "handshake", [tls("reset")], sent=False),
    Case("tls-hang-before-server-hello", "handshake", [tls("hang")], sent=False, slow=True),
    Case("tls-hang-mid-handshake", "handshake", [tls("hang_mid")], sent=False, slow=True),
    Case("connection-refused", "handshake", [], urls="refused", sent=False),
]

# -- failmode "safe": only what cannot have been sent is let through -----------
FAILMODE_SAFE = [
    Case("safe-connection-refused", "handshake", [], urls="refused", sent=False, failmode="safe",
         expect=SAFE),
    Case("safe-expired-cert", "handshake", [cert("expired")], sent=False, failmode="safe", expect=SAFE),
    Case("safe-tls-hang", "handshake", [tls("hang")], sent=False, failmode="safe", expect=SAFE, slow=True),
    Case("safe-start-hang-after-send", "start", [f("cut", at="before_headers", how="hang")],
         failmode="safe", slow=True),
    Case("safe-start-503", "start", [f("status", status=503)], failmode="safe"),
    Case("safe-start-drop-mid-body", "start", [f("cut", at="mid_body", how="close")], failmode="safe"),
    Case("safe-check-drop-mid-body", "check", [f("cut", "check", at="mid_body", how="close")],
         failmode="safe"),
]

# -- failover across service.urls -----------------------------------------------
FAILOVER = [
    Case("failover-refused-then-second", "start", [], urls="refused+good", expect=APPROVED),
    Case("failover-expired-cert-then-second", "start", [cert("expired")], urls="good+second",
         expect=APPROVED),
    Case("failover-plain-http-then-second", "start", [tls("plain_http")], urls="good+second",
         expect=APPROVED),
    Case("failover-tls-1.1-then-second", "start", [tls("tls1.1")], urls="good+second", expect=APPROVED),
    Case("failover-tls-hang-then-second", "start", [tls("hang")], urls="good+second", expect=APPROVED),
    Case("failover-never-after-timeout", "start", [f("cut", at="before_headers", how="hang", count=2)],
         urls="good+second", slow=True),
    Case("failover-never-after-delay", "start", [f("delay", seconds=OVER, count=2)],
         urls="good+second", slow=True),
    Case("failover-never-after-503", "start", [f("status", status=503, count=2)], urls="good+second"),
    Case("failover-never-after-close", "start", [f("cut", at="after_headers", how="close", count=2)],
         urls="good+second"),
    Case("failover-never-after-bad-answer", "start", [f("malformed", count=2)], urls="good+second",
         expect=BAD),
    Case("failover-all-refused", "handshake", [], urls="refused+refused", sent=False),
    # Three URLs that each hang for a whole connect_timeout: the operation's
    # budget (request_timeout) runs out before the third is even tried.
    Case("failover-budget-spent-on-hanging-handshakes", "handshake", [tls("hang", count=3)],
         urls="good+second+good", sent=False, slow=True),
]

# -- the Twilio fake --------------------------------------------------------------
TWILIO_429 = {"code": 20429, "message": "Too many requests",
              "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}
TWILIO = [
    Case("twilio-start-hang-after-send", "start", [f("cut", at="before_headers", how="hang")],
         provider="twilio", deliveries=1, slow=True),
    Case("twilio-start-503", "start", [f("status", status=503)], provider="twilio"),
    Case("twilio-start-20429-retried", "start", [status_body(429, TWILIO_429)], provider="twilio",
         expect=APPROVED, starts=2, deliveries=1),
    # The retry shares the operation's budget: a hang after it still ends in time.
    Case("twilio-start-20429-then-hang", "start",
         [status_body(429, TWILIO_429, **{"Retry-After": "1"}), f("cut", at="before_headers", how="hang")],
         provider="twilio", starts=2, deliveries=1, slow=True),
    # Retried only when the wait is at most 5 s and fits in what is left of request_timeout.
    Case("twilio-start-20429-retry-after-over-cap", "start",
         [status_body(429, TWILIO_429, **{"Retry-After": "6"})], provider="twilio", expect=BUSY,
         deliveries=0),
    Case("twilio-start-20429-retry-after-over-budget", "start",
         [status_body(429, TWILIO_429, **{"Retry-After": str(REQUEST_TIMEOUT)})], provider="twilio",
         expect=BUSY, deliveries=0),
    Case("twilio-start-302-not-followed", "start",
         [status_body(302, "", "text/plain", Location="/v2/Services")], provider="twilio", expect=BAD),
    Case("twilio-start-trickled-body", "start", [f("trickle", what="body", interval=TRICKLE)],
         provider="twilio", slow=True),
    Case("twilio-start-drop-mid-body", "start", [f("cut", at="mid_body", how="close")],
         provider="twilio"),
    Case("twilio-tls-expired-cert", "handshake", [cert("expired")], provider="twilio", sent=False),
    Case("twilio-check-truncated-json", "check", [status_body(200, '{"sid": "VE', op="check")],
         provider="twilio", expect=BAD),
    Case("twilio-check-drop-mid-body", "check", [f("cut", "check", at="mid_body", how="close")],
         provider="twilio"),
    Case("twilio-check-over-64KiB", "check", [f("patch", "check", fields={"pad": "x" * 70000})],
         provider="twilio", expect=BAD),
    Case("twilio-check-approved-not-valid", "check", [f("patch", "check", fields={"valid": False})],
         provider="twilio", expect=BAD),
    Case("twilio-check-nested-approved", "check",
         [f("patch", "check", fields={"status": "pending", "valid": False,
                                      "lookup": {"status": "approved", "valid": True}})],
         provider="twilio", expect=REPROMPT),
    Case("twilio-check-approved-extra-fields", "check",
         [f("patch", "check", fields={"unknown": {"status": "canceled"}})], provider="twilio",
         expect=APPROVED),
]

CASES = START + CHECK + POLL + HANDSHAKE + FAILMODE_SAFE + FAILOVER + TWILIO
DOCUMENTED_COUNT = 144
assert len(CASES) == DOCUMENTED_COUNT, f"{len(CASES)} cases: update the module docstring"
assert len({case.id for case in CASES}) == len(CASES), "case ids must be distinct"


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def second_url(phonenet):
    """A second HTTPS port of the session's phonenet service."""
    return phonenet.add_api_port()


def configure(env, case, second):
    good = env.service.url()
    urls = {"one": [good], "refused": [closed_port_url()], "refused+good": [closed_port_url(), good],
            "good+second": [good, second], "good+second+good": [good, second, good],
            "refused+refused": [closed_port_url(), closed_port_url()]}
    env.set_config(urls=urls[case.urls],
                   extra=f'login: {{ failmode = "{case.failmode}"; call_answer_timeout = 30; '
                         f'poll_interval = 0.2; }};')
    text = open(env.config_path).read()
    assert "connect_timeout = 2;" in text and "request_timeout = 4;" in text
    env.set_config(text=text.replace("connect_timeout = 2;", f"connect_timeout = {CONNECT_TIMEOUT};")
                   .replace("request_timeout = 4;", f"request_timeout = {REQUEST_TIMEOUT};"))


def drive(env, case):
    """The login, taken as far as the fault lets it. Returns (login,
    seconds from the start of the login to its result, prompts asked after
    the code or call prompt)."""
    network = env.network
    if case.op == "poll":
        network.call_mode = "approval"
    for fault in case.faults:
        network.add_fault(fault)
    began = time.monotonic()
    login = env.login()
    login.prompt()
    login.answer("2" if case.op == "poll" else "1")
    answered, later_prompts = False, []
    while True:
        event = login.next_event()
        if event["event"] == "result":
            elapsed = time.monotonic() - began
            try:
                login.process.stdin.close()
            except BrokenPipeError:
                pass
            login.wait()
            break
        if event["event"] != "prompt":
            continue
        text = event["text"]
        if not answered and ("Enter the code" in text or "press #" in text):
            answered = True
            for fault in case.later:
                network.add_fault(fault)
            if "press #" in text:
                if case.answer_call:
                    assert network.answer_call(PRIMARY, "approve")
                login.answer("")
            else:
                login.answer(network.last_code(PRIMARY))
            continue
        # Asked again (a wrong code, the menu): hang up.
        later_prompts.append(text)
        login.finish()
        elapsed = time.monotonic() - began
        break
    return login, elapsed, later_prompts


def expected_result(case):
    """The module's PAM result for the case; None: more than one fits."""
    reasons = set(case.expect) if isinstance(case.expect, tuple) else {case.expect}
    if reasons == {APPROVED}:
        return PAM_SUCCESS
    if reasons == {SAFE}:
        return PAM_IGNORE
    if reasons <= {UNAVAILABLE, BAD}:
        return PAM_AUTHINFO_UNAVAIL
    if reasons <= {AUTH, RATE, BUSY, REJECTED}:
        return PAM_AUTH_ERR
    return None


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fault(case, request, second_url):
    env = request.getfixturevalue("twilio_env" if case.provider == "twilio" else "env")
    configure(env, case, second_url)
    env.enroll("alice", {"primary": PRIMARY})
    login, elapsed, later_prompts = drive(env, case)
    logs = "\n".join(login.logs())
    result = login.module_result()
    outcome = login.outcome()
    if os.environ.get("FAULT_MATRIX_DEBUG"):
        print(f"\n[{case.id}] {elapsed:.2f}s result={result} checks={len(env.requests('check'))}\n{logs}")

    # 1. The PAM result: never success for a fault; ignore only under "safe"
    #    and only when nothing was sent.
    if case.expect != APPROVED:
        assert result != PAM_SUCCESS, logs
    if result == PAM_IGNORE:
        assert case.failmode == "safe" and not case.sent, logs
    expected = expected_result(case)
    if expected is not None:
        assert result == expected, f"PAM result {result}, expected {expected}\n{logs}"
    elif case.expect != REPROMPT:
        assert result in (PAM_AUTHINFO_UNAVAIL, PAM_AUTH_ERR), logs

    # 2. The outcome line's reason.
    reasons = case.expect if isinstance(case.expect, tuple) else (case.expect,)
    assert outcome["reason"] in reasons, f"reason {outcome['reason']}, expected {case.expect}\n{logs}"
    if case.expect == REPROMPT:
        assert later_prompts and later_prompts[0].startswith("Wrong code"), later_prompts
    else:
        assert not later_prompts, later_prompts
    if case.failmode == "safe" and case.sent and case.expect != APPROVED:
        assert "FAILMODE SAFE not applied" in logs, logs

    # 3. Nothing sent twice.
    starts = env.requests("start")
    want_starts = case.starts if case.starts is not None else (1 if case.sent else 0)
    assert len(starts) == want_starts, f"start requests: {starts}\n{logs}"
    if case.urls == "good+second" and case.expect != APPROVED:
        assert {r["port"] for r in starts} == {env.service.api_ports[0]}, \
            "a start that reached the first URL must not be sent to the second"
    deliveries = list(env.network.deliveries)
    assert len(deliveries) <= 1, f"sent twice: {deliveries}"
    if case.deliveries is not None:
        assert len(deliveries) == case.deliveries, deliveries
    if not case.sent:
        assert not env.requests(), "nothing may be sent over a connection that failed to open"
        assert not deliveries
    assert len(env.requests("check")) <= case.checks_max, env.requests("check")
    if case.op in ("start", "handshake") and case.expect != APPROVED:
        assert not env.requests("check")

    # 4. Time: one operation is bounded as a whole.
    assert elapsed <= WALL_LIMIT, f"the login took {elapsed:.1f} s (limit {WALL_LIMIT} s)\n{logs}"
    if case.expect == UNAVAILABLE and case.slow and case.sent and case.op != "handshake":
        assert "no answer in time after the request was sent (not repeated)" in logs, logs
