#!/usr/bin/python3
"""A stateful Twilio Verify v2 fake, built from Twilio's OpenAPI spec
(spec/twilio_verify_v2.json), on the same simulated phone network as
phonenet.py.

Every request is validated against the spec's parameters for its operation
(path patterns, required fields, unknown fields, enums, lengths, form
encoding) and against what Twilio documents beyond the spec (strict E.164
in To, a 4-10 character Code). A request that does not conform is answered
as Twilio would (400, 60200) and recorded in `violations`: the tests fail
if there is any.

It behaves like Twilio: Basic auth with an API key or Account SID, SIDs in
Twilio's formats, 10-minute expiry, 5 checks and 5 sends per verification,
soft deletion (404 20404 after approval, expiry or cancel), landline and
geo-blocked numbers, and Twilio's error body {code, message, more_info,
status}.

Run by hand: /usr/bin/python3 tests/fake_service/twilio_fake.py --dir /tmp/tw
"""
import argparse
import base64
import json
import os
import re
import secrets
import sys
import threading
import time
from urllib.parse import unquote_plus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phonenet import ApiHandler, PhoneNetworkService, patched  # noqa: E402

SPEC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spec", "twilio_verify_v2.json")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
CHANNELS = {"sms", "call", "email", "whatsapp", "sna", "auto"}  # the spec's description lists these
SEND_DIGITS = re.compile(r"^[0-9wW#*]{1,32}$")
MAX_CHECKS = 5
MAX_SENDS = 5

# Twilio's documented error codes (shared/specs/twilio_verify_api.md, section 4).
ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too many requests"),
    60200: (400, "Invalid parameter"),
    60006: (400, "Number is not reachable"),
    60202: (429, "Max check attempts reached"),
    60203: (429, "Max send attempts reached"),
    60205: (403, "SMS is not supported by landline phone number"),
    60212: (429, "Too many concurrent requests for phone number"),
    60223: (400, "Delivery channel disabled"),
    60238: (403, "Verification creation blocked"),
    60410: (403, "Verification delivery attempt blocked (Fraud Guard)"),
    60605: (403, "Verification delivery attempt blocked (Geo-Permissions)"),
}


def error_body(code, detail=None):
    status, message = ERRORS[code]
    return status, {"code": code, "message": f"{message}{': ' + detail if detail else ''}",
                    "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def new_sid(prefix):
    return prefix + secrets.token_hex(16)


class SpecValidator:
    """Checks a request against the OpenAPI operation it addresses."""

    def __init__(self, path=SPEC_PATH):
        with open(path) as f:
            self.spec = json.load(f)
        self.operations = []
        for template, item in self.spec["paths"].items():
            names = re.findall(r"\{(\w+)\}", template)
            regex = re.compile("^" + re.sub(r"\{\w+\}", "([^/]+)", template) + "$")
            for method, operation in item.items():
                if method in ("get", "post", "delete"):
                    self.operations.append((method.upper(), regex, names, operation, template))

    def _schema(self, schema):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return self.spec["components"]["schemas"][name]
        return schema

    def _check_value(self, where, value, schema, problems):
        schema = self._schema(schema)
        kind = schema.get("type", "string")
        if kind == "boolean" and value not in ("true", "false"):
            problems.append(f"{where}: not a boolean")
        if kind == "integer" and not re.fullmatch(r"-?[0-9]+", value):
            problems.append(f"{where}: not an integer")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{where}: {value!r} not in {schema['enum']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{where}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{where}: longer than {schema['maxLength']}")

    def find(self, method, path):
        for op_method, regex, names, operation, template in self.operations:
            match = regex.match(path)
            if op_method == method and match:
                return operation, dict(zip(names, match.groups())), template
        return None, None, None

    @staticmethod
    def parse_form(raw, problems):
        form = {}
        if not raw:
            return form
        for pair in raw.split("&"):
            if "=" not in pair:
                problems.append(f"form: {pair!r} is not key=value")
                continue
            key, value = pair.split("=", 1)
            if re.search(r"%(?![0-9A-Fa-f]{2})", pair):
                problems.append(f"form: bad percent-encoding in {pair!r}")
            key, value = unquote_plus(key), unquote_plus(value)
            if key in form:
                problems.append(f"form: {key} given twice")
            form[key] = value
        return form

    def validate(self, method, path, content_type, raw_body):
        """Returns (operation id, path params, form, problems)."""
        problems = []
        operation, params, template = self.find(method, path)
        if operation is None:
            return None, {}, {}, [f"{method} {path}: no such operation in the spec"]
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                self._check_value(f"path {parameter['name']}", params[parameter["name"]],
                                  parameter["schema"], problems)
        form = {}
        body_spec = operation.get("requestBody")
        if body_spec is not None:
            form_schema = body_spec["content"].get("application/x-www-form-urlencoded", {}).get("schema", {})
            if (content_type or "").split(";")[0].strip() != "application/x-www-form-urlencoded":
                problems.append(f"Content-Type {content_type!r} is not application/x-www-form-urlencoded")
            form = self.parse_form(raw_body.decode("utf-8", "replace"), problems)
            properties = form_schema.get("properties", {})
            for name in form_schema.get("required", []):
                if name not in form:
                    problems.append(f"form: required {name} is missing")
            for name, value in form.items():
                if name not in properties:
                    problems.append(f"form: {name} is not a parameter of {operation['operationId']}")
                else:
                    self._check_value(f"form {name}", value, properties[name], problems)
        elif raw_body:
            problems.append(f"{operation['operationId']} takes no body")
        problems += self._documented_rules(operation["operationId"], form)
        return operation["operationId"], params, form, problems

    @staticmethod
    def _documented_rules(operation_id, form):
        """What Twilio documents beyond the schema."""
        problems = []
        if "To" in form and not E164.match(form["To"]):
            problems.append(f"form To: {form['To']!r} is not strict E.164 (a '+' sent unencoded "
                            "arrives as a space)")
        if operation_id == "CreateVerification":
            if form.get("Channel") not in CHANNELS:
                problems.append(f"form Channel: {form.get('Channel')!r} is not a Verify channel")
            if "SendDigits" in form and not SEND_DIGITS.match(form["SendDigits"]):
                problems.append(f"form SendDigits: {form['SendDigits']!r} has characters a call cannot dial")
        if operation_id == "CreateVerificationCheck":
            if "Code" in form and not 4 <= len(form["Code"]) <= 10:
                problems.append("form Code: must be 4 to 10 characters")
            if ("To" in form) == ("VerificationSid" in form):
                problems.append("form: exactly one of To and VerificationSid is needed")
        return problems


class TwilioVerify:
    """Twilio's state: verifications of one Verify Service."""

    def __init__(self, network, validator):
        self.network = network
        self.validator = validator
        self.account_sid = new_sid("AC")
        self.service_sid = new_sid("VA")
        self.api_key_sid = new_sid("SK")
        self.api_key_secret = "test-api-key-secret"
        self.auth_token = "test-auth-token"
        self.ttl = 600.0
        self.verifications = {}
        self.sends = {}         # number -> [monotonic times] of sends not yet completed
        self.violations = []

    def credentials_ok(self, header):
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return ((user, secret) == (self.api_key_sid, self.api_key_secret) or
                (user, secret) == (self.account_sid, self.auth_token))

    def resource(self, v):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return {"sid": v["sid"], "service_sid": self.service_sid, "account_sid": self.account_sid,
                "to": v["to"], "channel": v["channel"], "status": v["status"],
                "valid": v["status"] == "approved", "lookup": {}, "amount": None, "payee": None,
                "send_code_attempts": [{"time": now, "channel": v["channel"].upper(),
                                        "attempt_sid": new_sid("VL")} for _ in range(v["sends"])],
                "date_created": now, "date_updated": now, "sna": None,
                "url": f"https://verify.twilio.com/v2/Services/{self.service_sid}/Verifications/{v['sid']}"}

    def _live(self, sid):
        v = self.verifications.get(sid)
        if v is None or v["deleted"]:
            return None
        if time.monotonic() - v["created"] > self.ttl:
            v["status"], v["deleted"] = "expired", True  # soft deletion
            return None
        return v

    def create(self, form):
        to, channel = form["To"], form["Channel"]
        kind = self.network.number_kinds.get(to)
        refusals = {"invalid": 60200, "unreachable": 60006, "blocked": 60605, "sanctioned": 60238}
        if kind in refusals:
            return error_body(refusals[kind], "To")
        # Fraud Guard protects against SMS pumping: it holds texts only.
        if kind == "fraud" and channel == "sms":
            return error_body(60410, "To")
        if kind == "landline" and channel == "sms":
            return error_body(60205)
        with self.network.lock:
            recent = [t for t in self.sends.get(to, []) if time.monotonic() - t < self.ttl]
            if len(recent) >= MAX_SENDS:
                return error_body(60203)
            self.sends[to] = recent + [time.monotonic()]
            # Within its validity a new request resends the same code.
            v = next((x for x in self.verifications.values() if x["to"] == to and not x["deleted"]
                      and x["status"] == "pending" and time.monotonic() - x["created"] <= self.ttl), None)
            if v is None:
                v = {"sid": new_sid("VE"), "to": to, "channel": channel, "status": "pending",
                     "code": f"{secrets.randbelow(10**6):06d}", "checks": 0, "sends": 0,
                     "created": time.monotonic(), "deleted": False}
                self.verifications[v["sid"]] = v
            v["sends"] += 1
            v["channel"] = channel
            extension = form.get("SendDigits", "").lstrip("wW") or None
            self.network.deliveries.append({"to": to, "channel": "text" if channel == "sms" else "call",
                                            "code": v["code"], "mode": "code", "extension": extension,
                                            "locale": form.get("Locale"), "id": v["sid"]})
        ext = f" ext. {extension}" if extension else ""
        if channel == "sms":
            self.network._say(f"{to} receives a text: \"Your verification code is {v['code']}\"")
        else:
            self.network._say(f"{to}{ext} rings; a voice reads: \"Your verification code is "
                              f"{' '.join(v['code'])}\"")
        return 201, self.resource(v)

    def check(self, form):
        with self.network.lock:
            sid = form.get("VerificationSid")
            if sid is None:
                sid = next((x["sid"] for x in self.verifications.values()
                            if x["to"] == form["To"] and not x["deleted"]), None)
            v = self._live(sid) if sid else None
            if v is None:
                return error_body(20404)
            if v["checks"] >= MAX_CHECKS:
                return error_body(60202)
            v["checks"] += 1
            if secrets.compare_digest(form.get("Code", ""), v["code"]):
                v["status"], v["deleted"] = "approved", True
                self.sends.pop(v["to"], None)
            # A wrong code is HTTP 200 "pending", the fifth too; the next check is 60202.
            return 200, self.resource(v)

    def update(self, sid, form):
        with self.network.lock:
            v = self._live(sid)
            if v is None:
                return error_body(20404)
            v["status"], v["deleted"] = form["Status"], True
            self.sends.pop(v["to"], None) if form["Status"] == "canceled" else None
            return 200, self.resource(v)

    def fetch(self, sid):
        with self.network.lock:
            v = self._live(sid)
            return (200, self.resource(v)) if v else error_body(20404)


class TwilioHandler(ApiHandler):
    server_version = "twilio-fake/1"

    def _dispatch(self, method):
        net = self.server.network
        twilio = self.server.service.twilio
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if 0 < length <= 16384 else b""
        operation_id, params, form, problems = twilio.validator.validate(
            method, self.path, self.headers.get("Content-Type"), raw)
        op = {"CreateVerification": "start", "CreateVerificationCheck": "check",
              "UpdateVerification": "cancel", "FetchVerification": "status",
              "FetchService": "service_status"}.get(operation_id, "other")
        with net.lock:
            net.requests.append({"op": op, "path": self.path, "operation": operation_id,
                                 "body": {k: v for k, v in form.items() if k != "Code"},
                                 "raw": raw.decode("utf-8", "replace") if op != "check" else None,
                                 "port": self.server.server_address[1]})
            if problems:
                twilio.violations.append({"path": self.path, "problems": problems})
        fault = net.take_fault(op)
        if fault is not None and self._apply_fault(fault):
            return
        if not twilio.credentials_ok(self.headers.get("Authorization")):
            return self._send(*error_body(20003))
        if operation_id is None:
            return self._send(*error_body(20404))
        if problems:
            return self._send(*error_body(60200, problems[0]))
        if params.get("ServiceSid", params.get("Sid")) != twilio.service_sid:
            return self._send(*error_body(20404))
        if op == "start":
            status, payload = twilio.create(form)
        elif op == "check":
            status, payload = twilio.check(form)
        elif op == "cancel":
            status, payload = twilio.update(params["Sid"], form)
        elif op == "status":
            status, payload = twilio.fetch(params["Sid"])
        elif op == "service_status":
            status, payload = 200, {"sid": twilio.service_sid, "account_sid": twilio.account_sid,
                                    "friendly_name": "phonemfa test", "code_length": 6}
        else:
            status, payload = error_body(20404)
        self._send(status, patched(fault, payload), fault=fault)


class TwilioService(PhoneNetworkService):
    """The Twilio fake on the simulated phone network."""
    handler = TwilioHandler

    def setup_state(self):
        self.twilio = TwilioVerify(self.network, SpecValidator())

    def reset(self):
        self.network.reset()
        self.twilio.verifications.clear()
        self.twilio.sends.clear()
        self.twilio.violations.clear()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="working directory (test CA goes here)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    service = TwilioService(args.dir, verbose=True, api_ports=(args.port,)).start()
    t = service.twilio
    print(json.dumps({"url": service.url(), "ca_file": service.ca_file, "service_sid": t.service_sid,
                      "api_key_sid": t.api_key_sid, "api_key_secret": t.api_key_secret,
                      "account_sid": t.account_sid, "auth_token": t.auth_token,
                      "control": f"http://127.0.0.1:{service.control_port}"}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        service.stop()


if __name__ == "__main__":
    main()
