#!/usr/bin/python3
"""A fake verification service that plays the phone network, for tests and
the demo. It speaks the project's own protocol (docs/phonemfa-verify-api.yaml)
over HTTPS with a test CA, keeps state like a real service, and has a control
interface (plain HTTP on loopback) to read the codes "delivered" to a phone,
answer or decline a call, and inject faults into the next requests.

Run by hand:  /usr/bin/python3 tests/fake_service/phonenet.py --dir /tmp/pn
"""
import argparse
import json
import os
import re
import secrets
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pki import make_pki  # noqa: E402

E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")
VERIFICATION_PATH = re.compile(r"^/v1/verifications/([A-Za-z0-9_-]{1,64})(/check)?$")
MAX_BODY = 16 * 1024


class Fault:
    """One injected fault: applies to the next `count` requests of `op`."""
    KINDS = {"delay", "hang", "status", "malformed", "oversized", "drop", "wrong_cert", "body", "patch"}
    OPS = {"start", "check", "status", "cancel", "any", "handshake"}

    def __init__(self, spec):
        self.kind = spec["kind"]
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        self.op = spec.get("op", "handshake" if self.kind == "wrong_cert" else "any")
        if self.op not in self.OPS:
            raise ValueError(f"unknown fault op {self.op!r}")
        self.count = int(spec.get("count", 1))
        self.seconds = float(spec.get("seconds", 0))
        self.status = int(spec.get("status", 500))
        self.body = spec.get("body")
        self.content_type = spec.get("content_type", "application/json")
        self.headers = spec.get("headers", {})
        self.then = spec.get("then", "answer")  # after a delay: answer normally
        self.fields = spec.get("fields", {})    # "patch": the normal answer with these fields changed


class PhoneNetwork:
    """The state of the fake service and its phone network."""

    def __init__(self, token="test-token", verbose=False, out=None):
        self.lock = threading.Lock()
        self.token = token
        self.verbose = verbose
        self.out = out or sys.stdout
        self.call_mode = "code"     # how calls verify: "code" (spoken) or "approval" (press #)
        self.ttl = 600.0
        self.max_checks = 5
        self.verifications = {}
        self.deliveries = []        # every text or call "received" by a phone
        self.requests = []          # every API request, for assertions
        self.faults = []
        self.number_kinds = {}      # number -> "landline" | "blocked" | "invalid"
        self.stop_event = threading.Event()

    # -- control -----------------------------------------------------------
    def add_fault(self, spec):
        with self.lock:
            self.faults.append(Fault(spec))

    def take_fault(self, op):
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and (fault.op == op or (fault.op == "any" and op != "handshake")):
                    fault.count -= 1
                    return fault
        return None

    def codes_for(self, number):
        with self.lock:
            return [d["code"] for d in self.deliveries if d["to"] == number and d.get("code")]

    def last_code(self, number):
        codes = self.codes_for(number)
        return codes[-1] if codes else None

    def answer_call(self, number, action):
        with self.lock:
            for v in reversed(list(self.verifications.values())):
                if v["to"] == number and v["mode"] == "call_approval" and v["status"] == "pending":
                    v["status"] = "approved" if action == "approve" else "denied"
                    self._say(f"{number} answers the call and {'presses #' if action == 'approve' else 'declines'}")
                    return True
        return False

    def expire(self, number):
        with self.lock:
            for v in self.verifications.values():
                if v["to"] == number:
                    v["created"] -= self.ttl + 1

    def ops(self, op=None):
        with self.lock:
            return [r for r in self.requests if op is None or r["op"] == op]

    def reset(self):
        with self.lock:
            self.verifications.clear()
            self.deliveries.clear()
            self.requests.clear()
            self.faults.clear()
            self.number_kinds.clear()
            self.call_mode = "code"

    def _say(self, text):
        if self.verbose:
            print(f"\n  [phone network] {text}", file=self.out, flush=True)

    # -- the protocol ------------------------------------------------------
    def start(self, body):
        allowed = {"user", "to", "channel", "extension", "locale"}
        if not isinstance(body, dict) or set(body) - allowed:
            return 400, error("bad_request", "unknown or missing fields")
        to, channel = body.get("to"), body.get("channel")
        if not isinstance(body.get("user"), str) or not isinstance(to, str) or channel not in ("text", "call"):
            return 400, error("bad_request", "user, to and channel are required")
        ext = body.get("extension")
        if ext is not None and not (isinstance(ext, str) and re.fullmatch(r"[0-9]{1,10}", ext)):
            return 400, error("bad_request", "bad extension")
        locale = body.get("locale")
        if locale is not None and not (isinstance(locale, str) and re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", locale)):
            return 400, error("bad_request", "bad locale")
        kind = self.number_kinds.get(to)
        if not E164.match(to) or kind == "invalid":
            return 400, error("invalid_number", f"{to} is not a valid number")
        if kind == "blocked":
            return 403, error("destination_blocked", "destination not allowed")
        if kind == "landline" and channel == "text":
            return 400, error("channel_unavailable", "landline cannot receive texts")
        mode = "call_approval" if channel == "call" and self.call_mode == "approval" else "code"
        vid = "vf_" + secrets.token_hex(12)
        code = f"{secrets.randbelow(10**6):06d}" if mode == "code" else None
        with self.lock:
            self.verifications[vid] = {"id": vid, "to": to, "channel": channel, "mode": mode,
                                       "code": code, "status": "pending", "checks": 0,
                                       "created": time.monotonic(), "locale": locale,
                                       "extension": ext, "user": body["user"]}
            self.deliveries.append({"to": to, "channel": channel, "code": code, "mode": mode,
                                    "extension": ext, "locale": locale, "id": vid})
        dial = f" ext. {ext}" if ext else ""
        if mode == "code" and channel == "text":
            self._say(f"{to} receives a text: \"Your verification code is {code}\"")
        elif mode == "code":
            self._say(f"{to}{dial} rings; a voice reads: \"Your verification code is {' '.join(code)}\"")
        else:
            self._say(f"{to}{dial} rings: \"Press # to approve the login of {body['user']}\"")
        return 201, {"id": vid, "mode": mode, "expires_in": int(self.ttl)}

    def _live(self, vid):
        v = self.verifications.get(vid)
        if v is None or v["status"] == "canceled":
            return None
        if time.monotonic() - v["created"] > self.ttl and v["status"] == "pending":
            v["status"] = "expired"
        return v

    def check(self, vid, body):
        if not isinstance(body, dict) or set(body) != {"code"} or not isinstance(body["code"], str):
            return 400, error("bad_request", "code is required")
        with self.lock:
            v = self._live(vid)
            if v is None or v["mode"] != "code" or v["status"] == "approved":
                return 404, error("not_found", "no such verification")
            if v["status"] == "expired":
                return 200, {"status": "expired"}
            if v["checks"] >= self.max_checks:
                return 200, {"status": "too_many_attempts"}
            v["checks"] += 1
            if secrets.compare_digest(body["code"], v["code"]):
                v["status"] = "approved"
                return 200, {"status": "approved"}
            if v["checks"] >= self.max_checks:
                return 200, {"status": "too_many_attempts"}
            return 200, {"status": "wrong_code", "attempts_left": self.max_checks - v["checks"]}

    def status(self, vid):
        with self.lock:
            v = self._live(vid)
            if v is None:
                return 404, error("not_found", "no such verification")
            return 200, {"status": v["status"] if v["status"] != "canceled" else "expired"}

    def cancel(self, vid):
        with self.lock:
            v = self.verifications.get(vid)
            if v is None:
                return 404, error("not_found", "no such verification")
            v["status"] = "canceled"
        return 204, None


def error(code, message):
    return {"error": {"code": code, "message": message}}


def patched(fault, payload):
    """A "patch" fault: the service's real answer with some fields changed
    (e.g. Twilio's status "approved" with valid false)."""
    if fault is not None and fault.kind == "patch" and isinstance(payload, dict):
        return dict(payload, **fault.fields)
    return payload


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive: the module reuses one connection
    server_version = "phonenet/1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status, payload, content_type="application/json", headers=None):
        body = b"" if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if payload is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def _dispatch(self, method):
        net = self.server.network
        body = self._read_body() if method == "POST" else None
        match = VERIFICATION_PATH.match(self.path)
        if method == "GET" and self.path == "/v1/status":
            op = "service_status"
        elif method == "POST" and self.path == "/v1/verifications":
            op = "start"
        elif method == "POST" and match and match.group(2):
            op = "check"
        elif method == "GET" and match and not match.group(2):
            op = "status"
        elif method == "DELETE" and match and not match.group(2):
            op = "cancel"
        else:
            return self._send(404, error("not_found", "no such endpoint"))
        authorized = self.headers.get("Authorization") == f"Bearer {net.token}"
        with net.lock:
            net.requests.append({"op": op, "path": self.path, "authorized": authorized,
                                 "body": {k: v for k, v in (body or {}).items() if k != "code"}
                                 if isinstance(body, dict) else None,
                                 "port": self.server.server_address[1]})
        fault = net.take_fault(op)
        if fault is not None and self._apply_fault(fault):
            return
        if not authorized:
            return self._send(401, error("unauthorized", "bad bearer token"))
        if op == "service_status":
            status, payload = 200, {"status": "ok"}
        elif op == "start":
            status, payload = net.start(body)
        elif op == "check":
            status, payload = net.check(match.group(1), body)
        elif op == "status":
            status, payload = net.status(match.group(1))
        else:
            status, payload = net.cancel(match.group(1))
        self._send(status, patched(fault, payload))

    def _apply_fault(self, fault):
        """Returns True when the fault replaced the answer."""
        if fault.kind == "delay":
            self.server.network.stop_event.wait(fault.seconds)
            return False
        if fault.kind == "hang":
            self.server.network.stop_event.wait(fault.seconds or 3600)
            self.close_connection = True
            return True
        if fault.kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.kind == "status":
            payload = error("rate_limited" if fault.status == 429 else "internal", "injected fault")
            self._send(fault.status, payload)
            return True
        if fault.kind == "malformed":
            self._send(200, b'{"status": "approved", ', "application/json")
            return True
        if fault.kind == "oversized":
            self._send(200, json.dumps({"status": "approved", "pad": "x" * (200 * 1024)}).encode())
            return True
        if fault.kind == "body":
            raw = fault.body if isinstance(fault.body, str) else json.dumps(fault.body)
            self._send(fault.status, raw.encode(), fault.content_type, fault.headers)
            return True
        return False

    def do_POST(self):
        self._dispatch("POST")

    def do_GET(self):
        self._dispatch("GET")

    def do_DELETE(self):
        self._dispatch("DELETE")


class ControlHandler(BaseHTTPRequestHandler):
    """Plain HTTP on loopback: GET /deliveries?to=+1..., GET /requests,
    POST /faults, /call {"to","action"}, /settings, /numbers, /expire, /reset."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        net = self.server.network
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        to = params.get("to", "").replace("%2B", "+")
        if path == "/deliveries":
            with net.lock:
                items = [d for d in net.deliveries if not to or d["to"] == to]
            return self._send(200, items)
        if path == "/requests":
            return self._send(200, net.ops())
        self._send(404, {"error": "no such control endpoint"})

    def do_POST(self):
        net = self.server.network
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/faults":
                net.add_fault(body)
            elif self.path == "/call":
                if not net.answer_call(body["to"], body.get("action", "approve")):
                    return self._send(404, {"error": "no pending call to that number"})
            elif self.path == "/settings":
                for key in ("call_mode", "ttl", "token", "max_checks"):
                    if key in body:
                        setattr(net, key, body[key])
            elif self.path == "/numbers":
                net.number_kinds[body["number"]] = body["kind"]
            elif self.path == "/expire":
                net.expire(body["to"])
            elif self.path == "/reset":
                net.reset()
            else:
                return self._send(404, {"error": "no such control endpoint"})
        except (ValueError, KeyError) as exc:
            return self._send(400, {"error": str(exc)})
        self._send(200, {"ok": True})


class TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, network, context):
        super().__init__(address, handler)
        self.network = network
        self.context = context

    def get_request(self):
        sock, address = self.socket.accept()
        sock.settimeout(30)
        try:
            return self.context.wrap_socket(sock, server_side=True), address
        except (ssl.SSLError, OSError):
            sock.close()
            raise


class PhoneNetworkService:
    """The fake service with its servers: `api_port` speaks the protocol over
    HTTPS; `control_port` is the control interface."""

    handler = ApiHandler

    def __init__(self, directory, token="test-token", verbose=False, api_ports=(0,), out=None):
        self.pki = make_pki(os.path.join(directory, "pki"))
        self.network = PhoneNetwork(token=token, verbose=verbose, out=out)
        self.setup_state()
        self.servers = []
        self.threads = []
        good = self._context(self.pki["cert"], self.pki["key"])
        rogue = self._context(self.pki["rogue_cert"], self.pki["rogue_key"])

        def choose_certificate(sslsock, server_name, context):
            fault = self.network.take_fault("handshake")
            if fault is not None and fault.kind == "wrong_cert":
                sslsock.context = rogue

        good.sni_callback = choose_certificate
        self.api_ports = []
        for port in api_ports:
            server = TlsServer(("127.0.0.1", port), self.handler, self.network, good)
            server.service = self
            self.servers.append(server)
            self.api_ports.append(server.server_address[1])
        control = ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
        control.daemon_threads = True
        control.network = self.network
        self.servers.append(control)
        self.control_port = control.server_address[1]

    def setup_state(self):
        """For subclasses that speak another protocol on the same network."""

    @staticmethod
    def _context(cert, key):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        return context

    @property
    def ca_file(self):
        return self.pki["ca"]

    def url(self, index=0):
        return f"https://127.0.0.1:{self.api_ports[index]}"

    def start(self):
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self):
        self.network.stop_event.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="working directory (test CA goes here)")
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--call-mode", choices=("code", "approval"), default="code")
    args = parser.parse_args()
    service = PhoneNetworkService(args.dir, token=args.token, verbose=True, api_ports=(args.port,))
    service.network.call_mode = args.call_mode
    service.start()
    print(json.dumps({"url": service.url(), "ca_file": service.ca_file,
                      "control": f"http://127.0.0.1:{service.control_port}"}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        service.stop()


if __name__ == "__main__":
    main()
