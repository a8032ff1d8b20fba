#!/usr/bin/python3
"""A stateful fake of Microsoft Entra ID's token endpoint and of Microsoft
Graph v1.0's phone authentication methods, for tests of a phone directory
that maps a user to the numbers registered in Entra ID.

Contract: /work/shared/specs/microsoft_graph_phone_methods.md and section 5
of /work/shared/notes/ldap-and-entra-testing.md. Both the authority
(POST /{tenant}/oauth2/v2.0/token) and Graph (/v1.0/...) are served from one
HTTPS port on 127.0.0.1 with the test CA of pki.py, so a test points the
module's authority and Graph URLs at `svc.url`.

Where the public sources leave a detail open, the fake picks one behaviour
and says so here, so that a test failing against it can be judged:

Token endpoint (OAuth error JSON: error, error_description "AADSTSn: ..."
with Trace ID / Correlation ID / Timestamp lines joined by CR LF as Entra
sends them, error_codes, timestamp, trace_id, correlation_id, error_uri;
correlation_id echoes a client-request-id header). Checks, in this order:
  unknown tenant (neither `tenant` nor `tenant_id`)   400 invalid_request 90002
  method other than POST                              400 invalid_request 900561
  grant_type missing (also: body not form-encoded)    400 invalid_request 900144
  grant_type not client_credentials                   400 unsupported_grant_type 70003
  client_id missing                                   400 invalid_request 900144
  client_id unknown                                   400 unauthorized_client 700016
  neither secret nor assertion, or both (the latter
    is this fake's choice: a client must send one)    401 invalid_client 7000218
  wrong secret                                        401 invalid_client 7000215
  assertion refused by accepted_assertion_check       401 invalid_client 700027
  scope missing                                       400 invalid_request 900144
  scope not exactly https://graph.microsoft.com/.default
                                                      400 invalid_scope 1002012
The access token is JWT-shaped (header.payload.signature, base64url, with a
roles claim) and about as long as a real one (~1.5 KB), so a client that
keeps it in a small buffer fails here as it would against Entra; clients must
not parse it. Tokens outlive a secret rotation, as Entra's do.

Graph (error JSON {"error": {"code", "message", "innerError": {"date",
"request-id", "client-request-id"}}}; client-request-id echoes the request
header when it is a plain identifier, else it is the request-id):
  - Paths are matched case-insensitively (Graph's segments are). The user
    segment is percent-decoded exactly once, so "alice%40example.test" and
    "alice@example.test" find the same user, "%2540" does not. Users are
    found by id (GUID, case-insensitive) or userPrincipalName
    (case-insensitive). A raw '#' or other character outside RFC 3986 in the
    path is a 400: a client must percent-encode guest UPNs (#EXT#).
  - Order of checks: token (401 InvalidAuthenticationToken, with a
    WWW-Authenticate header), the path (400 BadRequest "Resource not found
    for the segment ..."; /me is 400, app-only tokens have no "me"), the
    method (405 Request_BadRequest), the roles as they are now (403
    Authorization_RequestDenied), the user (404 Request_ResourceNotFound),
    the phone method (404 itemNotFound), then the body.
  - Request bodies of POST and PATCH (all 400): not Content-Type
    application/json or not a JSON object -> code "BadRequest", message
    "Unable to read JSON request payload. Please ensure Content-Type header
    is set and payload is of valid JSON format." (Graph's wording). All
    phone validations -> code "badRequest":
      a property other than phoneNumber/phoneType: "Property 'X' is not
        allowed in the request body." (smsSignInState and id are read-only);
      POST without both: "The request body must contain both phoneNumber
        and phoneType.";  PATCH without phoneNumber: "The request body must
        contain phoneNumber.";
      bad phoneType: "Invalid phoneType 'X'. Valid values are mobile,
        alternateMobile and office.";
      bad number: "Invalid phone number. Phone numbers must use the format
        +{country code} {number}x{extension}, e.g. +1 5555551234 or
        +1 5555551234x123." A valid number is PHONE_NUMBER below: a country
        code of 1-3 digits not starting with 0, one space, 4-14 digits, at
        most 15 digits for code and number together (E.164), and an optional
        x with 1-10 digits (the extension length phonenet accepts);
      POST of a type the user has: "A phone method of type 'mobile' already
        exists for this user.";
      POST of alternateMobile without a mobile: "An alternateMobile phone
        method requires a mobile phone method to be registered first.";
      PATCH with another phoneType: "phoneType cannot be changed. Add a phone
        method of the new type and delete this one.";
      DELETE of the mobile while an alternateMobile exists (the docs say a
        user cannot have one without the other): "The mobile phone method
        cannot be deleted while an alternateMobile phone method exists."
  - 201 answers carry Location: {svc.url}/v1.0/users/{user id}/authentication
    /phoneMethods/{method id}. 204 answers carry no body and no
    Content-Length. Success bodies have Graph's long OData Content-Type.
  - Numbers set by add_user are stored verbatim, not validated, so a test
    can plant a number Graph itself would never hold.
  - mask_numbers: the country code and the last 3 digits of the number stay,
    every other digit (the extension's too) becomes X: "+1 5555550117" ->
    "+1 XXXXXXX117", "+1 5555550100x1234" -> "+1 XXXXXXX100xXXXX".

Requests from both sides: bodies are read by Content-Length only; a body
over 16 KiB is refused with 413 (read and discarded first when at most
1 MiB, so the client can read the answer), Transfer-Encoding with 411 and a
bad Content-Length with 400, each in Graph's error shape whatever the path
(a front end answers these before routing) and the connection is closed.
Faults are taken after these checks, so a refused body consumes none.

Run by hand:  /usr/bin/python3 tests/fake_service/graph_fake.py --dir /tmp/gf
"""
import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pki import make_pki  # noqa: E402
from phonenet import hold_silent  # noqa: E402

MAX_BODY = 16 * 1024
MAX_DRAIN = 1024 * 1024
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The ids are fixed per phone type (phoneAuthenticationMethod reference).
METHOD_IDS = {"mobile": "3179e48a-750b-4051-897c-87b9720928f7",
              "alternateMobile": "b6332ec1-7057-4abe-9331-3d72feddfe41",
              "office": "e37fc753-ff3b-4958-9484-eaa9425c82bc"}
TYPE_BY_ID = {method_id: phone_type for phone_type, method_id in METHOD_IDS.items()}
READ_ROLES = frozenset({"UserAuthMethod-Phone.Read.All", "UserAuthMethod-Phone.ReadWrite.All",
                       "UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"})
WRITE_ROLES = frozenset({"UserAuthMethod-Phone.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All"})
# Used with fullmatch throughout: "$" would let a trailing newline through.
PHONE_NUMBER = re.compile(r"\+([1-9][0-9]{0,2}) ([0-9]{4,14})(?:x[0-9]{1,10})?")
GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
TOKEN_PATH = re.compile(r"/([^/]+)/oauth2/v2\.0/token")
PHONE_PATH = re.compile(r"/v1\.0/users/([^/]+)/authentication/phoneMethods(?:/([^/]+))?", re.IGNORECASE)
ME_PATH = re.compile(r"/v1\.0/me(?:/.*)?", re.IGNORECASE)
# RFC 3986 path characters; anything else means the client did not encode.
PATH_CHARS = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
PLAIN_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
BAD_PAYLOAD = ("Unable to read JSON request payload. Please ensure Content-Type header is set and "
               "payload is of valid JSON format.")
BAD_NUMBER = ("Invalid phone number. Phone numbers must use the format +{country code} "
              "{number}x{extension}, e.g. +1 5555551234 or +1 5555551234x123.")
# Default body codes of injected Graph status faults (Graph's own, see graph/errors).
FAULT_CODES = {429: "TooManyRequests", 500: "generalException", 503: "serviceNotAvailable"}


def mask(number):
    """The number as Graph shows it to roles that see masked numbers."""
    prefix, space, rest = number.partition(" ")
    if not space:
        prefix, rest = "", number
    main, x, extension = rest.partition("x")
    digits = sum(c.isdigit() for c in main)
    masked, seen = [], 0
    for c in main:
        if c.isdigit():
            seen += 1
            c = c if seen > digits - 3 else "X"
        masked.append(c)
    return prefix + space + "".join(masked) + x + re.sub(r"[0-9]", "X", extension)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def now_stamp(fmt):
    return datetime.now(timezone.utc).strftime(fmt)


def reject_assertions(assertion):
    """Default accepted_assertion_check: the fake holds no certificate."""
    return False


class Fault:
    """One injected fault, for the next `count` requests of `op` ("any":
    every request, including unrouted ones).

    Kinds: status (answer `status`, default 500, with optional `code`,
    `message`, `retry_after`), throttle (429 TooManyRequests with Retry-After
    `retry_after`, default 1), hang (say nothing for `seconds`, default 30,
    or until reset/stop or the client leaves, then close), drop (close
    without an answer), malformed (200 with a truncated JSON body), body (200
    or `status`, the raw `body` string as `content_type`), delay (wait
    `seconds`, then the real answer). Error bodies take the shape of the
    endpoint: OAuth for "token", Graph's for the rest."""
    KINDS = {"status", "throttle", "hang", "drop", "malformed", "body", "delay"}
    OPS = {"token", "list", "get", "add", "update", "delete", "any"}

    def __init__(self, spec):
        self.kind = spec["kind"]
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        self.op = spec.get("op", "any")
        if self.op not in self.OPS:
            raise ValueError(f"unknown fault op {self.op!r}")
        self.count = int(spec.get("count", 1))
        default_status = {"throttle": 429, "body": 200}.get(self.kind, 500)
        self.status = int(spec.get("status", default_status))
        self.retry_after = spec.get("retry_after", 1 if self.kind == "throttle" else None)
        self.code = spec.get("code")
        self.message = spec.get("message")
        self.seconds = float(spec.get("seconds", 30 if self.kind == "hang" else 0))
        self.body = spec.get("body", "")
        self.content_type = spec.get("content_type", "application/json")


class Route:
    """What a request addresses. kind: token | phone | me | unknown_graph |
    not_found | bad_path."""

    def __init__(self, method, raw_path):
        path = raw_path.partition("?")[0]
        self.op, self.user, self.method_id, self.tenant, self.segment = "other", None, None, None, None
        if not PATH_CHARS.fullmatch(path):
            self.kind = "bad_path"
            return
        token, phone = TOKEN_PATH.fullmatch(path), PHONE_PATH.fullmatch(path)
        if token:
            self.kind, self.op, self.tenant = "token", "token", unquote(token.group(1))
        elif phone:
            self.kind = "phone"
            try:
                # Decoded exactly once: a client that encodes twice misses.
                self.user = unquote(phone.group(1), errors="strict")
                self.method_id = None if phone.group(2) is None else unquote(phone.group(2), errors="strict")
            except UnicodeDecodeError:
                self.kind = "bad_path"
                return
            if self.method_id is None:
                self.op = {"GET": "list", "POST": "add"}.get(method, "other")
            else:
                self.op = {"GET": "get", "PATCH": "update", "DELETE": "delete"}.get(method, "other")
        elif ME_PATH.fullmatch(path):
            self.kind = "me"
        elif path.lower() == "/v1.0" or path.lower().startswith("/v1.0/"):
            self.kind = "unknown_graph"
            # For the message; Graph names the first segment it cannot resolve.
            self.segment = unquote([s for s in path.split("/") if s][-1])
        else:
            self.kind = "not_found"


class GraphService:
    """Entra ID and Graph state, and the HTTPS server that serves both.

    `requests` holds one dict per request received, appended on arrival:
    method, path (as sent, with any query), user (the decoded user segment,
    None off the phone paths), op (token | list | get | add | update | delete
    | other), status (None until answered, and for ever when a hang or drop
    fault swallowed the request), fault (the kind applied, or None)."""

    def __init__(self, directory, tenant="phonemfa-test", client_id="11111111-2222-3333-4444-555555555555",
                 client_secret="test-secret", roles=("UserAuthMethod-Phone.ReadWrite.All",), pki=None, port=0):
        self.pki = pki if pki is not None else make_pki(os.path.join(directory, "pki"))
        self.tenant = tenant
        self.tenant_id = str(uuid.uuid4())  # Entra accepts the GUID as well as the name
        self.client_id = client_id
        self._initial = (client_secret, frozenset(roles))
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.generation = 0     # bumped by reset(): late work of a past test is dropped
        self._connections = {}  # open connection -> the thread serving it, so stop() can end both
        self.reset()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.pki["cert"], self.pki["key"])
        self.server = TlsServer(("127.0.0.1", port), GraphHandler, self, context)
        self._thread = None

    # -- control -------------------------------------------------------------
    def trust_certificate(self, cert_path):
        """Take client assertions signed with this certificate's key, as an
        app registration with the certificate uploaded does: RS256 over
        header.claims, x5t the certificate's SHA-1 thumbprint, aud this
        token endpoint, iss and sub the client id, a jti, and a lifetime
        (nbf to exp) that has begun, not ended, and is at most an hour."""
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
        der = cert.public_bytes(serialization.Encoding.DER)
        thumbprint = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()

        def decode(part):
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        def check(assertion):
            try:
                header_b64, claims_b64, signature_b64 = assertion.split(".")
                header, claims = json.loads(decode(header_b64)), json.loads(decode(claims_b64))
                cert.public_key().verify(decode(signature_b64), f"{header_b64}.{claims_b64}".encode(),
                                         padding.PKCS1v15(), hashes.SHA256())
            except (ValueError, InvalidSignature, TypeError):
                return False
            now = time.time()
            audiences = {f"{self.url}/{t}/oauth2/v2.0/token" for t in (self.tenant, self.tenant_id)}
            return (header.get("alg") == "RS256" and header.get("x5t") == thumbprint
                    and claims.get("aud") in audiences
                    and claims.get("iss") == claims.get("sub") == self.client_id
                    and isinstance(claims.get("jti"), str) and claims["jti"]
                    and claims.get("nbf", now + 1) <= now + 5 < claims.get("exp", 0) + 5
                    and claims["exp"] - claims["nbf"] <= 3600)
        with self.lock:
            self.accepted_assertion_check = check

    def reset(self):
        with self.lock:
            self.generation += 1
            self.users = {}         # lower-case id -> {"id", "upn", "phones": {type: number}, "sms"}
            self.by_upn = {}        # casefolded UPN -> lower-case id
            self.faults = []
            self.requests = []
            self.tokens = {}        # access token -> monotonic expiry
            self.client_secret, self.roles = self._initial
            self.mask_numbers = False
            self.token_lifetime = 3599
            self.token_requests = 0
            self.accepted_assertion_check = reject_assertions

    def _insert(self, upn, phones, user_id, sms_sign_in_state):
        key, folded = user_id.lower(), upn.casefold()
        if key in self.users or folded in self.by_upn:
            raise ValueError(f"user {upn} / {user_id} exists")
        self.users[key] = {"id": user_id, "upn": upn, "phones": phones, "sms": sms_sign_in_state}
        self.by_upn[folded] = key

    def add_user(self, upn, phones=None, id=None, sms_sign_in_state="notConfigured"):
        """Returns the user's id. `phones` maps phone types to numbers, kept
        verbatim; sms_sign_in_state is the mobile's smsSignInState."""
        phones = {t: n for t, n in (phones or {}).items() if n is not None}
        if set(phones) - set(METHOD_IDS):
            raise ValueError(f"unknown phone types {set(phones) - set(METHOD_IDS)}")
        user_id = id or str(uuid.uuid4())
        with self.lock:
            self._insert(upn, phones, user_id, sms_sign_in_state)
        return user_id

    def add_users_bulk(self, n, prefix="user", domain="example.test"):
        """n users {prefix}00000@{domain}... each with a distinct mobile
        "+1 555nnnnnnn"; returns their UPNs."""
        width = max(5, len(str(n - 1)))
        upns = [f"{prefix}{i:0{width}d}@{domain}" for i in range(n)]
        with self.lock:
            for i, upn in enumerate(upns):
                self._insert(upn, {"mobile": f"+1 555{i:07d}"}, str(uuid.uuid4()), "notConfigured")
        return upns

    def _find(self, id_or_upn):
        key = id_or_upn.lower()
        if key in self.users:
            return self.users[key]
        key = self.by_upn.get(id_or_upn.casefold())
        return None if key is None else self.users[key]

    def phones(self, upn_or_id):
        """The user's numbers as stored (never masked); KeyError if no such user."""
        with self.lock:
            user = self._find(upn_or_id)
            if user is None:
                raise KeyError(upn_or_id)
            return dict(user["phones"])

    def set_roles(self, roles):
        with self.lock:
            self.roles = frozenset(roles)

    def set_secret(self, secret):
        with self.lock:
            self.client_secret = secret

    def expire_tokens(self):
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def add_fault(self, spec):
        fault = Fault(spec)
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, op):
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.op in (op, "any"):
                    fault.count -= 1
                    return fault
        return None

    # -- token endpoint --------------------------------------------------------
    def token_error(self, status, error, code, text, correlation):
        trace, stamp = str(uuid.uuid4()), now_stamp("%Y-%m-%d %H:%M:%SZ")
        description = (f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}"
                       f"\r\nTimestamp: {stamp}")
        return status, {"error": error, "error_description": description, "error_codes": [code],
                        "timestamp": stamp, "trace_id": trace, "correlation_id": correlation,
                        "error_uri": f"https://login.microsoftonline.com/error?code={code}"}

    def _access_token(self, roles, lifetime):
        """A JWT-shaped token of a real one's size; the signature is noise."""
        now = int(time.time())
        header = {"typ": "JWT", "nonce": b64url(secrets.token_bytes(32)), "alg": "RS256",
                  "x5t": b64url(secrets.token_bytes(20)), "kid": b64url(secrets.token_bytes(20))}
        claims = {"aud": "https://graph.microsoft.com", "iss": f"https://sts.windows.net/{self.tenant_id}/",
                  "iat": now, "nbf": now, "exp": now + lifetime, "aio": b64url(secrets.token_bytes(48)),
                  "app_displayname": "pam_phonemfa", "appid": self.client_id, "appidacr": "1",
                  "idp": f"https://sts.windows.net/{self.tenant_id}/", "idtyp": "app",
                  "oid": str(uuid.uuid4()), "rh": b64url(secrets.token_bytes(40)) + ".", "roles": sorted(roles),
                  "sub": str(uuid.uuid4()), "tenant_region_scope": "EU", "tid": self.tenant_id,
                  "uti": b64url(secrets.token_bytes(16)), "ver": "1.0",
                  "wids": ["0997a1d0-0d1d-4acb-b408-d5ca73121e90"], "xms_tcdt": now - 86400 * 400}
        return ".".join(b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)) \
            + "." + b64url(secrets.token_bytes(256))

    def token(self, method, tenant, content_type, raw, correlation):
        """Returns (status, payload)."""
        def fail(status, error, code, text):
            return self.token_error(status, error, code, text, correlation)

        def missing(name):
            return fail(400, "invalid_request", 900144,
                        f"The request body must contain the following parameter: '{name}'.")

        if tenant.lower() not in (self.tenant.lower(), self.tenant_id):
            return fail(400, "invalid_request", 90002,
                        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                        "and are signing into the correct cloud.")
        if method != "POST":
            return fail(400, "invalid_request", 900561,
                        f"The endpoint only accepts POST, OPTIONS requests. Received a {method} request.")
        form = {}
        if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            try:
                # Empty values count as absent, as Entra treats them.
                form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), errors="strict").items()}
            except (UnicodeDecodeError, ValueError):
                form = {}
        grant = form.get("grant_type")
        if grant is None:
            return missing("grant_type")
        if grant != "client_credentials":
            return fail(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'.")
        client_id = form.get("client_id")
        if client_id is None:
            return missing("client_id")
        if client_id.lower() != self.client_id.lower():
            return fail(400, "unauthorized_client", 700016,
                        f"Application with identifier '{client_id}' was not found in the directory "
                        f"'{tenant}'. This can happen if the application has not been installed by the "
                        "administrator of the tenant or consented to by any user in the tenant. You may "
                        "have sent your authentication request to the wrong tenant.")
        secret, assertion = form.get("client_secret"), form.get("client_assertion")
        assertion_form = assertion is not None and form.get("client_assertion_type") == JWT_BEARER
        if (secret is None) == (not assertion_form):
            return fail(401, "invalid_client", 7000218, "The request body must contain the following "
                        "parameter: 'client_assertion' or 'client_secret'.")
        with self.lock:
            expected, check = self.client_secret, self.accepted_assertion_check
        if secret is not None and not secrets.compare_digest(secret.encode(), expected.encode()):
            return fail(401, "invalid_client", 7000215,
                        "Invalid client secret provided. Ensure the secret being sent in the request is the "
                        "client secret value, not the client secret ID, for a secret added to app "
                        f"'{self.client_id}'.")
        if assertion_form and not check(assertion):
            return fail(401, "invalid_client", 700027, "Client assertion failed signature validation.")
        scope = form.get("scope")
        if scope is None:
            return missing("scope")
        if scope != GRAPH_SCOPE:
            return fail(400, "invalid_scope", 1002012,
                        f"The provided value for scope {scope} is not valid. Client credential flows must "
                        "have a scope value with /.default suffixed to the resource identifier "
                        "(application ID URI).")
        with self.lock:
            lifetime = int(self.token_lifetime)
            access_token = self._access_token(self.roles, lifetime)
            self.tokens[access_token] = time.monotonic() + lifetime
            self.token_requests += 1
        return 200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                     "access_token": access_token}

    # -- Graph -------------------------------------------------------------------
    def _method(self, user, phone_type):
        number = user["phones"][phone_type]
        return {"id": METHOD_IDS[phone_type], "phoneNumber": mask(number) if self.mask_numbers else number,
                "phoneType": phone_type,
                "smsSignInState": user["sms"] if phone_type == "mobile" else "notSupported"}

    def graph(self, route, headers, raw):
        """Returns (status, error code or None, payload or message, extra headers)."""
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        challenge = {"WWW-Authenticate": 'Bearer realm="", authorization_uri='
                     '"https://login.microsoftonline.com/common/oauth2/authorize", '
                     'client_id="00000003-0000-0000-c000-000000000000"'}
        if scheme.lower() != "bearer" or not token:
            return 401, "InvalidAuthenticationToken", "Access token is empty.", challenge
        with self.lock:
            expiry = self.tokens.get(token)
            if expiry is None or time.monotonic() >= expiry:
                return 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", challenge
            if route.kind == "me":
                return 400, "BadRequest", "/me request is only valid with delegated authentication flow.", {}
            if route.kind == "unknown_graph":
                return 400, "BadRequest", f"Resource not found for the segment '{route.segment}'.", {}
            if route.op == "other":
                return 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", {}
            needed = READ_ROLES if route.op in ("list", "get") else WRITE_ROLES
            if not self.roles & needed:
                return 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", {}
            user = self._find(route.user)
            if user is None:
                return 404, "Request_ResourceNotFound", (
                    f"Resource '{route.user}' does not exist or one of its queried reference-property "
                    "objects are not present."), {}
            context = f"https://graph.microsoft.com/v1.0/$metadata#users('{route.user}')/authentication/phoneMethods"
            if route.op == "list":
                value = [self._method(user, t) for t in METHOD_IDS if t in user["phones"]]
                return 200, None, {"@odata.context": context, "value": value}, {}
            phone_type = None
            if route.method_id is not None:
                phone_type = TYPE_BY_ID.get(route.method_id.lower())
                if phone_type not in user["phones"]:
                    return 404, "itemNotFound", f"Phone method '{route.method_id}' was not found.", {}
            if route.op == "get":
                return 200, None, dict({"@odata.context": context + "/$entity"}, **self._method(user, phone_type)), {}
            if route.op == "delete":
                if phone_type == "mobile" and "alternateMobile" in user["phones"]:
                    return 400, "badRequest", ("The mobile phone method cannot be deleted while an "
                                               "alternateMobile phone method exists."), {}
                del user["phones"][phone_type]
                return 204, None, None, {}
            body = self._json_body(headers, raw)
            if body is None:
                return 400, "BadRequest", BAD_PAYLOAD, {}
            problem = self._phone_problem(route.op, body, user, phone_type)
            if problem:
                return 400, "badRequest", problem, {}
            if route.op == "update":
                user["phones"][phone_type] = body["phoneNumber"]
                return 204, None, None, {}
            phone_type = body["phoneType"]
            user["phones"][phone_type] = body["phoneNumber"]
            location = (f"{self.url}/v1.0/users/{user['id']}/authentication/phoneMethods/"
                        f"{METHOD_IDS[phone_type]}")
            return 201, None, dict({"@odata.context": context + "/$entity"}, **self._method(user, phone_type)), \
                {"Location": location}

    @staticmethod
    def _json_body(headers, raw):
        """The body as a JSON object, or None when Graph could not read it."""
        if (headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
            return None
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    def _phone_problem(op, body, user, current_type):
        """The message for a POST or PATCH body Graph would refuse, or None."""
        for name in body:
            if name not in ("phoneNumber", "phoneType"):
                return f"Property '{name}' is not allowed in the request body."
        if op == "add" and ("phoneNumber" not in body or "phoneType" not in body):
            return "The request body must contain both phoneNumber and phoneType."
        if op == "update" and "phoneNumber" not in body:
            return "The request body must contain phoneNumber."
        phone_type = body.get("phoneType", current_type)
        if not isinstance(phone_type, str) or phone_type not in METHOD_IDS:
            return f"Invalid phoneType '{phone_type}'. Valid values are mobile, alternateMobile and office."
        number = body["phoneNumber"]
        match = PHONE_NUMBER.fullmatch(number) if isinstance(number, str) else None
        if match is None or len(match.group(1)) + len(match.group(2)) > 15:
            return BAD_NUMBER
        if op == "update":
            if phone_type != current_type:
                return "phoneType cannot be changed. Add a phone method of the new type and delete this one."
            return None
        if phone_type in user["phones"]:
            return f"A phone method of type '{phone_type}' already exists for this user."
        if phone_type == "alternateMobile" and "mobile" not in user["phones"]:
            return "An alternateMobile phone method requires a mobile phone method to be registered first."
        return None

    # -- server --------------------------------------------------------------------
    @property
    def url(self):
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    @property
    def ca_file(self):
        return self.pki["ca"]

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops serving and ends every connection and the threads serving
        them (hangs and delays included), so a test run leaves none behind."""
        self.stop_event.set()
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self.lock:
                open_now = list(self._connections.items())
            if not open_now:
                break
            for connection, _ in open_now:
                try:
                    # The plain socket's shutdown: it wakes a thread blocked
                    # reading the TLS connection without touching TLS state.
                    socket.socket.shutdown(connection, socket.SHUT_RDWR)
                except OSError:
                    pass
            for _, thread in open_now:
                thread.join(0.5)
        self.server.server_close()


class TlsServer(ThreadingHTTPServer):
    """Handler threads are daemons (a test that forgets stop() cannot block
    exit), but the service tracks them so stop() can end and join them. The
    TLS handshake runs in the handler thread: a client that connects and
    says nothing must not stall the accept loop."""
    allow_reuse_address = True

    def __init__(self, address, handler, service, context):
        super().__init__(address, handler)
        self.service = service
        self.context = context

    def get_request(self):
        sock, address = self.socket.accept()
        # Headers and body go out in separate writes: without this, Nagle
        # and the client's delayed ACK add 40 ms to every answer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def process_request(self, request, client_address):
        """As ThreadingMixIn's, but the thread is registered before it
        starts: once shutdown() has returned, stop() sees every one."""
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  daemon=True)
        with self.service.lock:
            self.service._connections[request] = thread
        thread.start()

    def process_request_thread(self, request, client_address):
        service = self.service
        try:
            if not service.stop_event.is_set():
                super().process_request_thread(request, client_address)
            else:
                self.shutdown_request(request)
        finally:
            with service.lock:
                service._connections.pop(request, None)

    def handle_error(self, request, client_address):
        """Failed handshakes and vanished clients are expected in fault tests."""


class GraphHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as the module would reuse a connection
    timeout = 30                    # an idle keep-alive connection ends after this

    def log_message(self, *args):
        pass

    def version_string(self):
        return "graph-fake/1"

    def setup(self):
        super().setup()
        self.request.do_handshake()

    @property
    def service(self):
        return self.server.service

    # -- answering -------------------------------------------------------------
    def _send(self, status, payload=None, headers=None, content_type="application/json"):
        self.entry["status"] = status
        body = payload if isinstance(payload, bytes) else b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        if status != 204:
            if payload is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 204:
            self.wfile.write(body)
        self.wfile.flush()

    def _graph_headers(self, extra=None):
        return dict({"request-id": self.request_id, "client-request-id": self.client_request_id}, **(extra or {}))

    def _graph_error(self, status, code, message, headers=None):
        self._send(status, {"error": {"code": code, "message": message, "innerError": {
            "date": now_stamp("%Y-%m-%dT%H:%M:%S"), "request-id": self.request_id,
            "client-request-id": self.client_request_id}}}, self._graph_headers(headers))

    def _token_answer(self, status, payload, headers=None):
        self._send(status, payload, dict({"Cache-Control": "no-store, no-cache", "Pragma": "no-cache",
                                          "x-ms-request-id": self.request_id}, **(headers or {})),
                   "application/json; charset=utf-8")

    def _framing_error(self, status, message):
        """The body may be left unread, so the connection is closed after this."""
        self._graph_error(status, "BadRequest" if status == 400 else "RequestEntityTooLarge"
                          if status == 413 else "LengthRequired", message, {"Connection": "close"})

    def _read_body(self):
        """The body by Content-Length, or None when it was refused (answered)."""
        if self.headers.get("Transfer-Encoding") is not None:
            self._framing_error(411, "A Content-Length header is required.")
            return None
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not re.fullmatch(r"[0-9]{1,10}", length.strip()):
            self._framing_error(400, "Invalid Content-Length.")
            return None
        if int(length) > MAX_BODY:
            # Drained first (up to a bound) so the client is not reset while
            # still sending, and gets to read the 413.
            if int(length) <= MAX_DRAIN:
                self.rfile.read(int(length))
            self._framing_error(413, f"The request body is larger than {MAX_BODY} bytes.")
            return None
        return self.rfile.read(int(length))

    # -- faults ------------------------------------------------------------------
    def _hold(self, seconds, generation):
        """Keep the connection open and silent for `seconds`, or until the
        client closes it, the test resets the service or the service stops."""
        service = self.service
        hold_silent(self.connection, seconds,
                    lambda: service.stop_event.is_set() or service.generation != generation)

    def _drop(self):
        self.close_connection = True
        try:
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
        except OSError:
            pass

    def _apply_fault(self, fault, route, generation):
        """Returns True when the fault replaced the answer."""
        if fault.kind == "delay":
            self.service.stop_event.wait(fault.seconds)
            return False
        if fault.kind == "hang":
            self._hold(fault.seconds, generation)
            self._drop()
        elif fault.kind == "drop":
            self._drop()
        elif fault.kind == "malformed":
            # A body cut off mid-JSON, as a proxy that gave up would leave it.
            if route.kind == "token":
                self._send(200, b'{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAi')
            else:
                self._send(200, b'{"value":[{"id":"3179e48a-750b-4051-897c-87b9720928f7","phoneNumber":"+1 55',
                           self._graph_headers(), GRAPH_JSON)
        elif fault.kind == "body":
            self._send(fault.status, fault.body.encode(), content_type=fault.content_type)
        else:  # status, throttle
            headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
            if route.kind == "token":
                status, payload = self.service.token_error(
                    fault.status, fault.code or ("temporarily_unavailable" if fault.status in (429, 503)
                                                 else "server_error"),
                    90033, fault.message or "A transient error has occurred. Please try again.",
                    self.client_request_id)
                self._token_answer(status, payload, headers)
            else:
                self._graph_error(fault.status, fault.code or FAULT_CODES.get(fault.status, "UnknownError"),
                                  fault.message or "Injected fault.", headers)
        return True

    # -- dispatch ----------------------------------------------------------------
    def _dispatch(self):
        service = self.service
        generation = service.generation
        self.request_id = str(uuid.uuid4())
        sent_id = self.headers.get("client-request-id") or ""
        self.client_request_id = sent_id if PLAIN_ID.fullmatch(sent_id) else self.request_id
        route = Route(self.command, self.path)
        self.entry = {"method": self.command, "path": self.path, "status": None, "user": route.user,
                      "op": route.op, "fault": None}
        with service.lock:
            service.requests.append(self.entry)
        raw = self._read_body()
        if raw is None:
            return
        fault = service.take_fault(route.op)
        if fault is not None:
            self.entry["fault"] = fault.kind
            if self._apply_fault(fault, route, generation):
                return
        if service.generation != generation or service.stop_event.is_set():
            # Delayed past the end of its test: the next test must not see it.
            return self._drop()
        if route.kind == "token":
            status, payload = service.token(self.command, route.tenant, self.headers.get("Content-Type"),
                                            raw, self.client_request_id)
            return self._token_answer(status, payload)
        if route.kind == "bad_path":
            return self._graph_error(400, "BadRequest", "Invalid request URL.")
        if route.kind == "not_found":
            return self._graph_error(404, "NotFound", "The requested resource was not found.")
        status, code, result, headers = service.graph(route, self.headers, raw)
        if code is not None:
            return self._graph_error(status, code, result, headers)
        self._send(status, result, self._graph_headers(headers), GRAPH_JSON)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = _dispatch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="working directory (test CA goes here)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tenant", default="phonemfa-test")
    parser.add_argument("--client-id", default="11111111-2222-3333-4444-555555555555")
    parser.add_argument("--client-secret", default="test-secret")
    parser.add_argument("--user", action="append", default=[], metavar="UPN=NUMBER",
                        help='a user with a mobile, e.g. "alice@example.test=+1 5555550117"')
    parser.add_argument("--bulk", type=int, default=0, help="this many user00000@example.test... users")
    args = parser.parse_args()
    service = GraphService(args.dir, tenant=args.tenant, client_id=args.client_id,
                           client_secret=args.client_secret, port=args.port)
    for item in args.user:
        upn, _, number = item.partition("=")
        service.add_user(upn, {"mobile": number})
    service.add_users_bulk(args.bulk)
    service.start()
    print(json.dumps({"url": service.url, "ca_file": service.ca_file, "tenant": service.tenant,
                      "tenant_id": service.tenant_id, "client_id": service.client_id,
                      "client_secret": args.client_secret}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        service.stop()


if __name__ == "__main__":
    main()
