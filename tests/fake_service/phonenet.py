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
import select
import socket
import ssl
import struct
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pki import make_fault_certs, make_pki  # noqa: E402

E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")
VERIFICATION_PATH = re.compile(r"^/v1/verifications/([A-Za-z0-9_-]{1,64})(/check)?$")
MAX_BODY = 16 * 1024


def hold_silent(sock, seconds, stopped):
    """Keep a connection open and silent for `seconds`, until the peer
    closes it or stopped() says so (what every fake's "hang" does)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stopped():
        try:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                sock.settimeout(0.05)
                if not sock.recv(1):
                    return
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (OSError, ValueError):
            return


class Fault:
    """One injected fault: applies to the next `count` requests of `op`.

    Kinds that replace the answer before the request is carried out: delay
    (then answer), hang, drop, status, malformed, oversized, body, raw (these
    bytes as the whole answer). Kinds that carry the request out and then
    break the delivery of the real answer (or of `body`): cut (at
    before_headers | mid_headers | after_headers | mid_body, how hang | close
    | reset), trickle (what headers | body, a byte every `interval` seconds,
    `endless`), huge_header (one header line of `size` bytes, or `lines`
    headers of 1 KiB), stream (an endless body, `chunked` or up to the
    close), close_after (the real answer, then the connection is closed),
    patch (the real answer with `fields` changed).
    Handshake kinds (op "handshake", the next connection accepted on any API
    port): wrong_cert (the rogue CA's certificate, or `cert`: a name from
    pki.make_fault_certs), tls (`mode`: tls1.0 | tls1.1 | plain_http | close
    | close_mid | reset | hang | hang_mid)."""
    KINDS = {"delay", "hang", "status", "malformed", "oversized", "drop", "wrong_cert", "body", "patch",
             "raw", "cut", "trickle", "huge_header", "stream", "close_after", "tls"}
    HANDSHAKE_KINDS = {"wrong_cert", "tls"}
    OPS = {"start", "check", "status", "cancel", "any", "handshake"}

    def __init__(self, spec):
        self.kind = spec["kind"]
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        self.op = spec.get("op", "handshake" if self.kind in self.HANDSHAKE_KINDS else "any")
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
        self.at = spec.get("at", "before_headers")
        self.how = spec.get("how", "hang")
        self.what = spec.get("what", "body")
        self.interval = float(spec.get("interval", 0.1))
        self.endless = bool(spec.get("endless", False))
        self.size = int(spec.get("size", 400 * 1024))
        self.lines = int(spec.get("lines", 0))
        self.chunked = bool(spec.get("chunked", True))
        self.data = spec.get("data", "")
        self.cert = spec.get("cert", "unknown_ca")
        self.mode = spec.get("mode", "close")


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
        self.generation = 0         # bumped by reset(): late work of a past test is dropped
        self.tls_handshakes = 0     # completed TLS handshakes (make bench: handshakes per login)

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
            self.tls_handshakes = 0
            self.generation += 1
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
    # Faults that carry the request out and then spoil how the answer arrives.
    DELIVERY_KINDS = {"cut", "trickle", "huge_header", "stream", "close_after"}

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status, payload, content_type="application/json", headers=None, fault=None):
        body = b"" if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        if fault is not None and fault.kind in self.DELIVERY_KINDS:
            return self._deliver(fault, status, body, None if payload is None else content_type,
                                 headers or {})
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
        generation = net.generation
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
        if net.generation != generation:
            # Delayed past the end of its test: the next test must not see it.
            self.close_connection = True
            return
        if not authorized:
            return self._send(401, error("unauthorized", "bad bearer token"), fault=fault)
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
        self._send(status, patched(fault, payload), fault=fault)

    # -- faults ---------------------------------------------------------------
    def _hold(self, seconds):
        """Keep the connection open and silent for `seconds` (0: an hour),
        or until the peer closes it or the service stops."""
        hold_silent(self.connection, seconds or 3600, lambda: self.server.network.stop_event.is_set())

    def _write(self, data):
        """False once the peer is gone."""
        try:
            self.connection.sendall(data)
            return True
        except (OSError, ValueError):
            return False

    def _trickle(self, data, interval, endless=False):
        """data one byte at a time; endless: then spaces forever."""
        for i in range(len(data)):
            if self.server.network.stop_event.wait(interval) or not self._write(data[i:i + 1]):
                return False
        while endless:
            if self.server.network.stop_event.wait(interval) or not self._write(b" "):
                return False
        return True

    def _end(self, how):
        self.close_connection = True
        if how == "hang":
            self._hold(0)
        elif how == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # close: the handler closes the connection when it returns; shut it
        # down now so nothing is left to flush.
        try:
            if how != "reset":
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _head(self, status, content_type, headers, length=None, chunked=False):
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('Unknown',))[0]}",
                 f"Server: {self.server_version}", f"Date: {self.date_time_string()}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif length is not None:
            lines.append(f"Content-Length: {length}")
        else:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _deliver(self, fault, status, body, content_type, headers):
        """The answer, delivered the way the fault says."""
        self.close_connection = True
        if fault.body is not None:
            body = fault.body if isinstance(fault.body, bytes) else (
                fault.body if isinstance(fault.body, str) else json.dumps(fault.body)).encode()
        if fault.kind == "close_after":
            head = self._head(status, content_type, dict(headers, Connection="close"), len(body))
            self._write(head + body)
            return self._end("close")
        if fault.kind == "huge_header":
            if fault.lines:
                extra = {f"X-Pad-{i}": "p" * 1000 for i in range(fault.lines)}
            else:
                extra = {"X-Pad": "p" * fault.size}
            self._write(self._head(status, content_type, dict(headers, **extra), len(body)) + body)
            return self._end("close")
        if fault.kind == "stream":
            head = self._head(status, content_type, headers, None, chunked=fault.chunked)
            if not self._write(head + (b"" if fault.chunked else b'{"pad": "')):
                return None
            block = b"x" * 8192
            chunk = (b"%x\r\n" % len(block)) + block + b"\r\n" if fault.chunked else block
            sent = 0
            while sent < 64 * 1024 * 1024 and not self.server.network.stop_event.is_set():
                if not self._write(chunk):
                    break
                sent += len(block)
            return self._end("close")
        # An endless trickle has no length: it ends when the connection does.
        head = self._head(status, content_type, headers,
                          None if fault.kind == "trickle" and fault.endless else len(body))
        if fault.kind == "trickle":
            if fault.what == "headers":
                if fault.endless:
                    first = head.split(b"\r\n", 1)[0] + b"\r\nX-Trickle: "
                    self._write(first)
                    self._trickle(b"", fault.interval, endless=True)
                    return self._end("close")
                ok = self._trickle(head, fault.interval) and self._write(body)
            else:
                ok = self._write(head) and self._trickle(body, fault.interval, fault.endless)
            if ok:
                self.close_connection = False
                return None
            return self._end("close")
        # cut
        sent = {"before_headers": b"", "mid_headers": head[:len(head) // 2],
                "after_headers": head, "mid_body": head + body[:len(body) // 2]}[fault.at]
        if sent:
            self._write(sent)
        return self._end(fault.how)

    def _apply_fault(self, fault):
        """Returns True when the fault replaced the answer."""
        if fault.kind == "delay":
            self.server.network.stop_event.wait(fault.seconds)
            return False
        if fault.kind == "hang":
            self._hold(fault.seconds)
            self.close_connection = True
            return True
        if fault.kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.kind == "status":
            payload = error("rate_limited" if fault.status == 429 else "internal", "injected fault")
            self._send(fault.status, payload, headers=fault.headers)
            return True
        if fault.kind == "malformed":
            self._send(200, b'{"status": "approved", ', "application/json")
            return True
        if fault.kind == "oversized":
            self._send(200, json.dumps({"status": "approved", "pad": "x" * (200 * 1024)}).encode())
            return True
        if fault.kind == "body":
            raw = fault.body if isinstance(fault.body, str) else json.dumps(fault.body)
            self._send(fault.status, raw.encode("latin-1" if "\x00" in raw else "utf-8"),
                       fault.content_type, fault.headers)
            return True
        if fault.kind == "raw":
            self.close_connection = True
            self._write(fault.data.encode("latin-1"))
            self._end("close")
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
    # socketserver's default (5) drops the SYNs of a crowd of new
    # connections, and each one dropped costs the client a 1 s retransmit:
    # make bench's 256 logins at once measured that, not phonemfad.
    request_queue_size = 1024

    def __init__(self, address, handler, network, context):
        super().__init__(address, handler)
        self.network = network
        self.context = context

    def get_request(self):
        sock, address = self.socket.accept()
        sock.settimeout(30)
        fault = self.network.take_fault("handshake")
        context = self.context
        if fault is not None and fault.kind == "wrong_cert":
            context = self.service.fault_context(fault.cert)
        elif fault is not None and fault.kind == "tls":
            # Off the accept loop: a held connection must not stall the others.
            threading.Thread(target=self.service.broken_handshake, args=(sock, fault.mode),
                             daemon=True).start()
            raise OSError("handshake fault")
        try:
            wrapped = context.wrap_socket(sock, server_side=True), address
            with self.network.lock:
                self.network.tls_handshakes += 1
            return wrapped
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
        self._fault_contexts = {}
        self.good_context = self._context(self.pki["cert"], self.pki["key"])
        self.api_ports = []
        for port in api_ports:
            self._add_server(port)
        control = ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
        control.daemon_threads = True
        control.network = self.network
        self.servers.append(control)
        self.control_port = control.server_address[1]

    def _add_server(self, port):
        server = TlsServer(("127.0.0.1", port), self.handler, self.network, self.good_context)
        server.service = self
        self.servers.append(server)
        self.api_ports.append(server.server_address[1])
        return server

    def add_api_port(self):
        """Another HTTPS port of the same service, started (for failover).
        Returns its URL."""
        server = self._add_server(0)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self.url(len(self.api_ports) - 1)

    def fault_context(self, name):
        """A server context presenting one of pki.make_fault_certs' bad
        certificates; "unknown_ca" is the rogue CA's."""
        if name not in self._fault_contexts:
            if name == "unknown_ca":
                cert, key = self.pki["rogue_cert"], self.pki["rogue_key"]
            else:
                cert, key = make_fault_certs(os.path.dirname(self.pki["ca"]))[name]
            # The server itself must be allowed to use a weak key.
            context = self._context(cert, key, "DEFAULT:@SECLEVEL=0" if name == "weak_rsa" else None)
            self._fault_contexts[name] = context
        return self._fault_contexts[name]

    def old_tls_context(self, version):
        """A server that speaks only TLS 1.0 or 1.1. Debian's OpenSSL 3 still
        lets a server be configured so, but only at security level 0."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old = ssl.TLSVersion.TLSv1 if version == "tls1.0" else ssl.TLSVersion.TLSv1_1
            context.minimum_version = old
            context.maximum_version = old
        context.load_cert_chain(self.pki["cert"], self.pki["key"])
        return context

    def broken_handshake(self, sock, mode):
        """One connection whose TLS handshake goes wrong the way `mode` says."""
        stop = self.network.stop_event

        def hold(seconds=30):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not stop.is_set():
                try:
                    readable, _, _ = select.select([sock], [], [], 0.05)
                    if readable and not sock.recv(4096):
                        return
                except OSError:
                    return

        try:
            if mode in ("tls1.0", "tls1.1"):
                try:
                    self.old_tls_context(mode).wrap_socket(sock, server_side=True).close()
                except (ssl.SSLError, OSError):
                    pass
            elif mode == "plain_http":
                sock.recv(4096)
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n"
                             b"Content-Length: 24\r\nConnection: close\r\n\r\n<html>plain http</html>\n")
            elif mode == "close":
                sock.recv(4096)
            elif mode == "reset":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif mode == "hang":
                hold()
            elif mode in ("close_mid", "hang_mid"):
                # Half of the server's first flight (ServerHello, certificate...),
                # then silence or a close.
                incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
                tls = self.good_context.wrap_bio(incoming, outgoing, server_side=True)
                incoming.write(sock.recv(65536))
                try:
                    tls.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                flight = outgoing.read()
                sock.sendall(flight[:len(flight) // 2])
                if mode == "hang_mid":
                    hold()
        except OSError:
            pass
        finally:
            sock.close()

    def setup_state(self):
        """For subclasses that speak another protocol on the same network."""

    @staticmethod
    def _context(cert, key, ciphers=None):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if ciphers:
            context.set_ciphers(ciphers)
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
