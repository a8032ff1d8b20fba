"""Contract tests of graph_fake.py: the fake must answer as the Graph and
Entra documentation says (tests/fake_service/graph_fake.py's docstring lists
the choices it makes where the documentation is silent), or tests of the
module against it prove nothing.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/fake_service/test_graph_fake.py
"""
import base64
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from graph_fake import GraphService, METHOD_IDS  # noqa: E402
from scratch import scratch_dir  # noqa: E402

TENANT = "phonemfa-test"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "test-secret"
SCOPE = "https://graph.microsoft.com/.default"
ALICE = "alice@example.test"
ALICE_PHONES = {"mobile": "+1 5555550117", "alternateMobile": "+1 5555550118", "office": "+1 5555550100x1234"}
PHONES = "/v1.0/users/{}/authentication/phoneMethods"
ALICE_PATH = PHONES.format("alice%40example.test")
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def service():
    svc = GraphService(scratch_dir("graph-fake-")).start()
    yield svc
    svc.stop()


@pytest.fixture
def svc(service):
    service.reset()
    service.add_user(ALICE, dict(ALICE_PHONES))
    return service


class Client:
    """One keep-alive HTTPS connection trusting only the test CA."""

    def __init__(self, svc, timeout=5):
        context = ssl.create_default_context(cafile=svc.ca_file)
        self.svc = svc
        self.conn = http.client.HTTPSConnection("127.0.0.1", svc.server.server_address[1],
                                                context=context, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers, parsed JSON or raw bytes)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = dict({"Content-Type": "application/json"}, **(headers or {}))
        self.conn.request(method, path, body, headers or {})
        response = self.conn.getresponse()
        raw = response.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw
        return response.status, response, payload

    def token(self, **overrides):
        fields = {"client_id": CLIENT_ID, "client_secret": SECRET, "scope": SCOPE,
                  "grant_type": "client_credentials"}
        fields.update(overrides)
        fields = {k: v for k, v in fields.items() if v is not None}
        tenant = fields.pop("tenant", TENANT)
        return self.request("POST", f"/{tenant}/oauth2/v2.0/token", urllib.parse.urlencode(fields),
                            {"Content-Type": FORM})

    def access_token(self):
        status, _, payload = self.token()
        assert status == 200, payload
        return payload["access_token"]

    def graph(self, method, path, body=None, token=None, headers=None):
        token = self.access_token() if token is None else token
        return self.request(method, path, body, dict({"Authorization": f"Bearer {token}"}, **(headers or {})))

    def close(self):
        self.conn.close()


@pytest.fixture
def client(svc):
    c = Client(svc)
    yield c
    c.close()


def graph_error(payload, status, code, response=None):
    """Asserts Graph's error shape and returns the message."""
    error = payload["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert error["code"] == code, payload
    if response is not None:
        assert response.status == status
        assert response.getheader("request-id") == error["innerError"]["request-id"]
    return error["message"]


def token_error(payload, error, code):
    assert payload["error"] == error, payload
    assert payload["error_codes"] == [code]
    assert payload["error_description"].startswith(f"AADSTS{code}: ")
    for field in ("timestamp", "trace_id", "correlation_id"):
        assert payload[field]
    return payload["error_description"]


def decode_part(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# -- token endpoint -------------------------------------------------------------
def test_token_success(client, svc):
    status, response, payload = client.token()
    assert status == 200
    assert set(payload) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert payload["token_type"] == "Bearer"
    assert payload["expires_in"] == 3599 and isinstance(payload["expires_in"], int)
    assert payload["ext_expires_in"] == 3599
    # JWT-shaped and of a real token's size, so small client buffers fail here too.
    header, claims, signature = payload["access_token"].split(".")
    assert len(payload["access_token"]) > 1200
    assert decode_part(claims)["roles"] == ["UserAuthMethod-Phone.ReadWrite.All"]
    assert decode_part(header)["alg"] == "RS256"
    assert response.getheader("Cache-Control") == "no-store, no-cache"
    assert svc.token_requests == 1
    assert svc.requests[-1] == {"method": "POST", "path": f"/{TENANT}/oauth2/v2.0/token", "status": 200,
                                "user": None, "op": "token", "fault": None}


def test_token_lifetime_and_tenant_id(client, svc):
    svc.token_lifetime = 120
    status, _, payload = client.token(tenant=svc.tenant_id)
    assert status == 200 and payload["expires_in"] == 120


@pytest.mark.parametrize("overrides, status, error, code", [
    ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
    ({"tenant": "other-tenant"}, 400, "invalid_request", 90002),
    ({"client_id": "99999999-2222-3333-4444-555555555555"}, 400, "unauthorized_client", 700016),
    ({"scope": "https://graph.microsoft.com/User.Read"}, 400, "invalid_scope", 1002012),
    ({"scope": "https://graph.microsoft.com/.default offline_access"}, 400, "invalid_scope", 1002012),
    ({"scope": None}, 400, "invalid_request", 900144),
    ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ({"grant_type": None}, 400, "invalid_request", 900144),
    ({"client_id": None}, 400, "invalid_request", 900144),
    ({"client_secret": None}, 401, "invalid_client", 7000218),
    ({"client_secret": ""}, 401, "invalid_client", 7000218),
    ({"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      "client_assertion": "a.b.c"}, 401, "invalid_client", 7000218),   # secret and assertion both
], ids=["wrong-secret", "wrong-tenant", "unknown-client", "scope-not-default", "two-scopes", "no-scope",
        "grant-password", "no-grant", "no-client-id", "no-secret", "empty-secret", "secret-and-assertion"])
def test_token_errors(client, svc, overrides, status, error, code):
    got, _, payload = client.token(**overrides)
    assert got == status
    token_error(payload, error, code)
    assert svc.token_requests == 0


def test_wrong_secret_description_and_correlation(client):
    status, _, payload = client.request(
        "POST", f"/{TENANT}/oauth2/v2.0/token",
        urllib.parse.urlencode({"client_id": CLIENT_ID, "client_secret": "nope", "scope": SCOPE,
                                "grant_type": "client_credentials"}),
        {"Content-Type": FORM, "client-request-id": "0b5d2a5e-1111-2222-3333-444455556666"})
    assert status == 401
    description = token_error(payload, "invalid_client", 7000215)
    assert "Invalid client secret provided" in description
    assert "\r\nTrace ID: " in description          # Entra's descriptions span lines
    assert payload["correlation_id"] == "0b5d2a5e-1111-2222-3333-444455556666"


def test_token_needs_post_and_form(client):
    status, _, payload = client.request("GET", f"/{TENANT}/oauth2/v2.0/token")
    assert status == 400
    token_error(payload, "invalid_request", 900561)
    body = json.dumps({"client_id": CLIENT_ID, "client_secret": SECRET, "scope": SCOPE,
                       "grant_type": "client_credentials"})
    status, _, payload = client.request("POST", f"/{TENANT}/oauth2/v2.0/token", body,
                                        {"Content-Type": "application/json"})
    assert status == 400
    token_error(payload, "invalid_request", 900144)


def test_secret_rotation_and_form_encoding(client, svc):
    old_token = client.access_token()
    svc.set_secret("n3w~Secret+with/odd=chars&more")
    status, _, payload = client.token()
    assert status == 401
    token_error(payload, "invalid_client", 7000215)
    assert client.token(client_secret="n3w~Secret+with/odd=chars&more")[0] == 200
    # A '+' the client forgot to encode arrives as a space.
    raw = (f"client_id={CLIENT_ID}&client_secret=n3w~Secret+with%2Fodd%3Dchars%26more"
           f"&scope={urllib.parse.quote(SCOPE, safe='')}&grant_type=client_credentials")
    assert client.request("POST", f"/{TENANT}/oauth2/v2.0/token", raw, {"Content-Type": FORM})[0] == 401
    # Tokens issued before the rotation stay valid.
    assert client.graph("GET", ALICE_PATH, token=old_token)[0] == 200


def test_client_assertion(client, svc):
    assertion = {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                 "client_assertion": "header.payload.signature", "client_secret": None}
    status, _, payload = client.token(**assertion)
    assert status == 401
    token_error(payload, "invalid_client", 700027)
    seen = []
    svc.accepted_assertion_check = lambda value: seen.append(value) or True
    status, _, payload = client.token(**assertion)
    assert status == 200 and payload["token_type"] == "Bearer"
    assert seen == ["header.payload.signature"]


# -- Graph happy paths ----------------------------------------------------------
def test_list(client):
    status, response, payload = client.graph("GET", ALICE_PATH)
    assert status == 200
    assert response.getheader("Content-Type").startswith("application/json")
    assert payload["@odata.context"].startswith("https://graph.microsoft.com/v1.0/$metadata#users(")
    assert payload["value"] == [
        {"id": METHOD_IDS["mobile"], "phoneNumber": "+1 5555550117", "phoneType": "mobile",
         "smsSignInState": "notConfigured"},
        {"id": "b6332ec1-7057-4abe-9331-3d72feddfe41", "phoneNumber": "+1 5555550118",
         "phoneType": "alternateMobile", "smsSignInState": "notSupported"},
        {"id": "e37fc753-ff3b-4958-9484-eaa9425c82bc", "phoneNumber": "+1 5555550100x1234",
         "phoneType": "office", "smsSignInState": "notSupported"}]


def test_list_empty_and_sms_ready(client, svc):
    svc.add_user("nophone@example.test")
    svc.add_user("ready@example.test", {"mobile": "+44 7700900123"}, sms_sign_in_state="ready")
    assert client.graph("GET", PHONES.format("nophone@example.test"))[2]["value"] == []
    value = client.graph("GET", PHONES.format("ready@example.test"))[2]["value"]
    assert [(m["phoneType"], m["smsSignInState"]) for m in value] == [("mobile", "ready")]


def test_get(client):
    status, _, payload = client.graph("GET", ALICE_PATH + "/" + METHOD_IDS["office"])
    assert status == 200
    assert payload["phoneNumber"] == "+1 5555550100x1234" and payload["phoneType"] == "office"
    assert payload["@odata.context"].endswith("/$entity")
    # Method ids are GUIDs: case does not matter.
    assert client.graph("GET", ALICE_PATH + "/" + METHOD_IDS["mobile"].upper())[0] == 200


def test_add_patch_delete(client, svc):
    uid = svc.add_user("bob@example.test", id="0c3c0b6e-1d3a-4c2e-9f57-3a1f4a0b9e11")
    path = PHONES.format("bob%40example.test")
    status, response, payload = client.graph("POST", path, {"phoneNumber": "+1 2065555555", "phoneType": "mobile"})
    assert status == 201
    assert payload["id"] == METHOD_IDS["mobile"] and payload["phoneNumber"] == "+1 2065555555"
    assert payload["smsSignInState"] == "notConfigured"
    assert response.getheader("Location") == f"{svc.url}/v1.0/users/{uid}/authentication/phoneMethods/{payload['id']}"
    status, _, _ = client.graph("POST", path, {"phoneNumber": "+1 2065555556x12", "phoneType": "alternateMobile"})
    assert status == 201
    assert svc.phones("bob@example.test") == {"mobile": "+1 2065555555", "alternateMobile": "+1 2065555556x12"}

    status, response, payload = client.graph("PATCH", path + "/" + METHOD_IDS["mobile"],
                                             {"phoneNumber": "+49 15112345678", "phoneType": "mobile"})
    assert status == 204 and payload is None
    assert response.getheader("Content-Length") is None
    assert svc.phones(uid)["mobile"] == "+49 15112345678"

    status, _, payload = client.graph("DELETE", path + "/" + METHOD_IDS["alternateMobile"])
    assert status == 204 and payload is None
    assert client.graph("DELETE", path + "/" + METHOD_IDS["mobile"])[0] == 204
    assert svc.phones(uid) == {}
    status, response, payload = client.graph("DELETE", path + "/" + METHOD_IDS["mobile"])
    graph_error(payload, 404, "itemNotFound", response)
    assert [(r["op"], r["status"]) for r in svc.requests if r["op"] != "token"] == [
        ("add", 201), ("add", 201), ("update", 204), ("delete", 204), ("delete", 204), ("delete", 404)]


# -- Graph errors -----------------------------------------------------------------
def add_error(client, body, path=ALICE_PATH, **kwargs):
    status, response, payload = client.graph("POST", path, body, **kwargs)
    assert status == 400, payload
    return payload["error"]["code"], graph_error(payload, 400, payload["error"]["code"], response)


@pytest.mark.parametrize("number", [
    "+12065555555", "2065555555", "+1 206-555-5555", "+1 (206) 5555555", "+0 2065555555", "+1234 2065555",
    "+1 206", "+1 2065555555x", "+1 2065555555 x12", "+1 2065555555x12345678901", "+999 1234567890123",
    " +1 2065555555", "+1 2065555555\n", "+1  2065555555", "+1 ２０６５５５５５５５", 12065555555])
def test_add_rejects_bad_numbers(client, svc, number):
    svc.add_user("carol@example.test")
    code, message = add_error(client, {"phoneNumber": number, "phoneType": "mobile"},
                              PHONES.format("carol@example.test"))
    assert code == "badRequest" and message.startswith("Invalid phone number.")
    assert svc.phones("carol@example.test") == {}


@pytest.mark.parametrize("number", ["+1 5555551234", "+1 5555551234x123", "+44 7700900123", "+358 401234567"])
def test_add_accepts_documented_format(client, svc, number):
    svc.add_user("dave@example.test")
    status, _, payload = client.graph("POST", PHONES.format("dave@example.test"),
                                      {"phoneNumber": number, "phoneType": "office"})
    assert status == 201 and payload["phoneNumber"] == number


@pytest.mark.parametrize("body, message", [
    ({"phoneNumber": "+1 2065555555"}, "The request body must contain both phoneNumber and phoneType."),
    ({"phoneType": "mobile"}, "The request body must contain both phoneNumber and phoneType."),
    ({"phoneNumber": "+1 2065555555", "phoneType": "landline"},
     "Invalid phoneType 'landline'. Valid values are mobile, alternateMobile and office."),
    ({"phoneNumber": "+1 2065555555", "phoneType": ["mobile"]},
     "Invalid phoneType '['mobile']'. Valid values are mobile, alternateMobile and office."),
    ({"phoneNumber": "+1 2065555555", "phoneType": "mobile", "smsSignInState": "ready"},
     "Property 'smsSignInState' is not allowed in the request body."),
    ({"phoneNumber": "+1 2065555555", "phoneType": "alternateMobile"},
     "An alternateMobile phone method requires a mobile phone method to be registered first."),
])
def test_add_validation(client, svc, body, message):
    svc.add_user("erin@example.test")
    assert add_error(client, body, PHONES.format("erin@example.test")) == ("badRequest", message)


def test_add_existing_type(client, svc):
    assert add_error(client, {"phoneNumber": "+1 2065555555", "phoneType": "mobile"}) == (
        "badRequest", "A phone method of type 'mobile' already exists for this user.")
    assert svc.phones(ALICE) == ALICE_PHONES


@pytest.mark.parametrize("body, headers", [
    ('{"phoneNumber": "+1 2065555555", ', {"Content-Type": "application/json"}),
    ('["+1 2065555555", "mobile"]', {"Content-Type": "application/json"}),
    ('{"phoneNumber": "+1 2065555555", "phoneType": "mobile"}', {"Content-Type": "text/plain"}),
    ('{"phoneNumber": "+1 2065555555", "phoneType": "mobile"}', {}),
])
def test_add_unreadable_payload(client, svc, body, headers):
    svc.add_user("frank@example.test")
    code, message = add_error(client, body, PHONES.format("frank@example.test"), headers=headers)
    assert code == "BadRequest" and message.startswith("Unable to read JSON request payload.")


def test_patch_errors(client, svc):
    mobile = ALICE_PATH + "/" + METHOD_IDS["mobile"]
    status, response, payload = client.graph("PATCH", mobile, {"phoneNumber": "+1 2065555555",
                                                               "phoneType": "office"})
    assert graph_error(payload, 400, "badRequest", response).startswith("phoneType cannot be changed.")
    status, response, payload = client.graph("PATCH", mobile, {"phoneNumber": "206 555 5555"})
    assert graph_error(payload, 400, "badRequest", response).startswith("Invalid phone number.")
    status, response, payload = client.graph("PATCH", mobile, {"phoneType": "mobile"})
    assert graph_error(payload, 400, "badRequest", response) == "The request body must contain phoneNumber."
    svc.add_user("gina@example.test")
    status, response, payload = client.graph("PATCH", PHONES.format("gina@example.test") + "/" + METHOD_IDS["mobile"],
                                             {"phoneNumber": "+1 2065555555", "phoneType": "mobile"})
    graph_error(payload, 404, "itemNotFound", response)
    assert svc.phones(ALICE) == ALICE_PHONES


def test_delete_mobile_needs_alternate_gone(client, svc):
    status, response, payload = client.graph("DELETE", ALICE_PATH + "/" + METHOD_IDS["mobile"])
    assert graph_error(payload, 400, "badRequest", response) == (
        "The mobile phone method cannot be deleted while an alternateMobile phone method exists.")
    assert svc.phones(ALICE) == ALICE_PHONES


def test_get_absent_or_unknown_method(client, svc):
    svc.add_user("hal@example.test", {"mobile": "+1 5555550199"})
    status, response, payload = client.graph("GET", PHONES.format("hal@example.test") + "/" + METHOD_IDS["office"])
    graph_error(payload, 404, "itemNotFound", response)
    status, response, payload = client.graph("GET", ALICE_PATH + "/00000000-0000-0000-0000-000000000000")
    graph_error(payload, 404, "itemNotFound", response)


def test_unknown_user(client):
    status, response, payload = client.graph("GET", PHONES.format("nobody%40example.test"),
                                             headers={"client-request-id": "7f1c2b3a-0000-4000-8000-000000000001"})
    message = graph_error(payload, 404, "Request_ResourceNotFound", response)
    assert message == ("Resource 'nobody@example.test' does not exist or one of its queried "
                       "reference-property objects are not present.")
    assert payload["error"]["innerError"]["client-request-id"] == "7f1c2b3a-0000-4000-8000-000000000001"
    assert response.getheader("client-request-id") == "7f1c2b3a-0000-4000-8000-000000000001"


def test_user_lookup_forms(client, svc):
    token = client.access_token()
    uid = svc.add_user("guest_example.com#EXT#@phonemfa.onmicrosoft.com", {"mobile": "+1 5555550150"})
    found = {}
    for segment in ("alice%40example.test", "alice@example.test", "ALICE%40Example.TEST", uid.upper(),
                    urllib.parse.quote("guest_example.com#EXT#@phonemfa.onmicrosoft.com", safe="")):
        status, _, payload = client.graph("GET", PHONES.format(segment), token=token)
        assert status == 200, segment
        found[segment] = payload["value"][0]["phoneNumber"]
    assert list(found.values()) == ["+1 5555550117"] * 3 + ["+1 5555550150"] * 2
    assert [r["user"] for r in svc.requests if r["op"] == "list"][:3] == [
        "alice@example.test", "alice@example.test", "ALICE@Example.TEST"]
    # Decoded exactly once: a client that encodes twice asks for another name.
    status, response, payload = client.graph("GET", PHONES.format("alice%2540example.test"), token=token)
    assert "'alice%40example.test'" in graph_error(payload, 404, "Request_ResourceNotFound", response)
    # An unencoded '#' is not a path character (and a real client would cut the URL there).
    status, response, payload = client.graph("GET", PHONES.format("guest_example.com#EXT#@x"), token=token)
    graph_error(payload, 400, "BadRequest", response)


def test_authentication(client, svc):
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwdw=="}):
        status, response, payload = client.request("GET", ALICE_PATH, headers=headers)
        assert graph_error(payload, 401, "InvalidAuthenticationToken", response) == "Access token is empty."
        assert response.getheader("WWW-Authenticate").startswith("Bearer ")
    status, response, payload = client.graph("GET", ALICE_PATH, token="not-a-token-we-issued")
    assert graph_error(payload, 401, "InvalidAuthenticationToken", response) == (
        "Access token has expired or is not yet valid.")


def test_expired_tokens(client, svc):
    token = client.access_token()
    assert client.graph("GET", ALICE_PATH, token=token)[0] == 200
    svc.expire_tokens()
    status, response, payload = client.graph("GET", ALICE_PATH, token=token)
    assert graph_error(payload, 401, "InvalidAuthenticationToken", response) == (
        "Access token has expired or is not yet valid.")
    assert client.graph("GET", ALICE_PATH)[0] == 200       # a new token works
    svc.token_lifetime = 0                                  # expired on issue
    status, _, payload = client.graph("GET", ALICE_PATH)
    assert status == 401


@pytest.mark.parametrize("role", ["UserAuthMethod-Phone.Read.All", "UserAuthMethod-Phone.ReadWrite.All",
                                  "UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"])
def test_read_roles(client, svc, role):
    svc.set_roles([role])
    assert client.graph("GET", ALICE_PATH)[0] == 200
    assert client.graph("GET", ALICE_PATH + "/" + METHOD_IDS["mobile"])[0] == 200
    status = client.graph("DELETE", ALICE_PATH + "/" + METHOD_IDS["office"])[0]
    assert status == (204 if "ReadWrite" in role else 403)


def test_permissions(client, svc):
    svc.set_roles(["UserAuthMethod-Phone.Read.All"])
    token = client.access_token()
    assert decode_part(token.split(".")[1])["roles"] == ["UserAuthMethod-Phone.Read.All"]
    for method, path, body in (("POST", ALICE_PATH, {"phoneNumber": "+1 2065555555", "phoneType": "mobile"}),
                               ("PATCH", ALICE_PATH + "/" + METHOD_IDS["mobile"], {"phoneNumber": "+1 2065555555"}),
                               ("DELETE", ALICE_PATH + "/" + METHOD_IDS["office"], None)):
        status, response, payload = client.graph(method, path, body, token=token)
        assert graph_error(payload, 403, "Authorization_RequestDenied", response) == (
            "Insufficient privileges to complete the operation.")
    assert svc.phones(ALICE) == ALICE_PHONES
    # Consent revoked: the token already held loses its access too.
    svc.set_roles(["User.Read.All"])
    status, response, payload = client.graph("GET", ALICE_PATH, token=token)
    graph_error(payload, 403, "Authorization_RequestDenied", response)
    # Permissions are checked before the user is looked up.
    status, response, payload = client.graph("GET", PHONES.format("nobody@example.test"), token=token)
    assert status == 403


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/v1.0/me/authentication/phoneMethods", 400, "BadRequest"),
    ("GET", "/v1.0/users/alice@example.test/authentication/emailMethods", 400, "BadRequest"),
    ("POST", ALICE_PATH + "/" + METHOD_IDS["mobile"] + "/enableSmsSignIn", 400, "BadRequest"),
    ("PUT", ALICE_PATH + "/" + METHOD_IDS["mobile"], 405, "Request_BadRequest"),
    ("DELETE", ALICE_PATH, 405, "Request_BadRequest"),
    ("PATCH", ALICE_PATH, 405, "Request_BadRequest"),
    ("GET", "/beta/users/alice@example.test/authentication/phoneMethods", 404, "NotFound"),
    ("GET", "/", 404, "NotFound"),
])
def test_other_paths_and_methods(client, method, path, status, code):
    got, response, payload = client.graph(method, path)
    assert got == status
    graph_error(payload, status, code, response)


def test_case_insensitive_path_segments(client):
    assert client.graph("GET", "/v1.0/Users/alice@example.test/Authentication/PhoneMethods")[0] == 200


def test_masked_numbers(client, svc):
    svc.mask_numbers = True
    value = client.graph("GET", ALICE_PATH)[2]["value"]
    assert [m["phoneNumber"] for m in value] == ["+1 XXXXXXX117", "+1 XXXXXXX118", "+1 XXXXXXX100xXXXX"]
    assert client.graph("GET", ALICE_PATH + "/" + METHOD_IDS["mobile"])[2]["phoneNumber"] == "+1 XXXXXXX117"
    assert svc.phones(ALICE)["mobile"] == "+1 5555550117"   # stored unmasked
    svc.add_user("ivan@example.test", {"mobile": "+358 401234567"})
    assert client.graph("GET", PHONES.format("ivan@example.test"))[2]["value"][0]["phoneNumber"] == "+358 XXXXXX567"


def test_body_bounds(client, svc):
    token = client.access_token()
    big = json.dumps({"phoneNumber": "+1 2065555555", "phoneType": "office", "pad": "x" * 17000})
    status, response, payload = client.graph("POST", ALICE_PATH, big, token=token,
                                             headers={"Content-Type": "application/json"})
    graph_error(payload, 413, "RequestEntityTooLarge", response)
    assert response.getheader("Connection") == "close"
    client.close()
    conn = Client(svc)
    conn.conn.putrequest("POST", ALICE_PATH)
    for name, value in (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
                        ("Transfer-Encoding", "chunked")):
        conn.conn.putheader(name, value)
    conn.conn.endheaders(b"5\r\n{}   \r\n0\r\n\r\n")
    response = conn.conn.getresponse()
    graph_error(json.loads(response.read()), 411, "LengthRequired", response)
    conn.close()
    assert [r["status"] for r in svc.requests if r["op"] == "add"] == [413, 411]
    assert svc.phones(ALICE) == ALICE_PHONES


def test_reset(client, svc):
    svc.set_roles([])
    svc.set_secret("other")
    svc.mask_numbers = True
    svc.token_lifetime = 5
    svc.add_fault({"op": "list", "kind": "throttle"})
    svc.reset()
    assert svc.requests == [] and svc.token_requests == 0
    with pytest.raises(KeyError):
        svc.phones(ALICE)
    svc.add_user(ALICE, {"mobile": "+1 5555550117"})
    status, _, payload = client.token()
    assert status == 200 and payload["expires_in"] == 3599
    assert client.graph("GET", ALICE_PATH, token=payload["access_token"])[2]["value"][0]["phoneNumber"] == (
        "+1 5555550117")


def test_reset_forgets_tokens(client, svc):
    token = client.access_token()
    svc.reset()
    svc.add_user(ALICE)
    assert client.graph("GET", ALICE_PATH, token=token)[0] == 401


# -- faults --------------------------------------------------------------------------
def test_fault_status_graph(client, svc):
    token = client.access_token()
    svc.add_fault({"op": "list", "kind": "status", "status": 503, "retry_after": 7})
    svc.add_fault({"op": "list", "kind": "status", "status": 429, "code": "activityLimitReached"})
    status, response, payload = client.graph("GET", ALICE_PATH, token=token)
    graph_error(payload, 503, "serviceNotAvailable", response)
    assert response.getheader("Retry-After") == "7"
    status, response, payload = client.graph("GET", ALICE_PATH, token=token)
    graph_error(payload, 429, "activityLimitReached", response)
    assert response.getheader("Retry-After") is None
    assert client.graph("GET", ALICE_PATH, token=token)[0] == 200
    assert [r["fault"] for r in svc.requests if r["op"] == "list"] == ["status", "status", None]


def test_fault_status_token(client, svc):
    svc.add_fault({"op": "token", "kind": "status", "status": 500})
    svc.add_fault({"op": "token", "kind": "throttle", "retry_after": 3})
    status, _, payload = client.token()
    assert status == 500
    token_error(payload, "server_error", 90033)
    status, response, payload = client.token()
    assert status == 429 and response.getheader("Retry-After") == "3"
    token_error(payload, "temporarily_unavailable", 90033)
    assert client.token()[0] == 200 and svc.token_requests == 1


def test_fault_throttle_graph_and_count(client, svc):
    token = client.access_token()
    svc.add_fault({"op": "get", "kind": "throttle", "count": 2})
    path = ALICE_PATH + "/" + METHOD_IDS["mobile"]
    assert client.graph("GET", ALICE_PATH, token=token)[0] == 200     # another op: not consumed
    for _ in range(2):
        status, response, payload = client.graph("GET", path, token=token)
        graph_error(payload, 429, "TooManyRequests", response)
        assert response.getheader("Retry-After") == "1"
    assert client.graph("GET", path, token=token)[0] == 200


def test_fault_any_matches_every_op(client, svc):
    svc.add_fault({"op": "any", "kind": "status", "status": 502})
    svc.add_fault({"op": "any", "kind": "status", "status": 504})
    assert client.token()[0] == 502
    assert client.graph("GET", ALICE_PATH, token="x")[0] == 504         # before any token check
    assert client.graph("GET", "/nowhere", token="x")[0] == 404
    assert [r["status"] for r in svc.requests] == [502, 504, 404]


def test_fault_malformed_and_body(client, svc):
    token = client.access_token()
    svc.add_fault({"op": "list", "kind": "malformed"})
    svc.add_fault({"op": "token", "kind": "malformed"})
    svc.add_fault({"op": "list", "kind": "body", "body": '{"value": "not a list"}'})
    status, _, payload = client.graph("GET", ALICE_PATH, token=token)
    assert status == 200 and isinstance(payload, bytes)               # did not parse as JSON
    status, _, payload = client.token()
    assert status == 200 and isinstance(payload, bytes)
    status, _, payload = client.graph("GET", ALICE_PATH, token=token)
    assert status == 200 and payload == {"value": "not a list"}


def test_fault_delay(client, svc):
    token = client.access_token()
    svc.add_fault({"op": "list", "kind": "delay", "seconds": 0.4})
    started = time.monotonic()
    status, _, payload = client.graph("GET", ALICE_PATH, token=token)
    assert time.monotonic() - started >= 0.4
    assert status == 200 and payload["value"]


def test_fault_drop(client, svc):
    token = client.access_token()
    svc.add_fault({"op": "add", "kind": "drop"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
        client.graph("POST", ALICE_PATH, {"phoneNumber": "+1 2065555555", "phoneType": "mobile"}, token=token)
    assert svc.requests[-1]["op"] == "add" and svc.requests[-1]["status"] is None
    assert svc.requests[-1]["fault"] == "drop"


def test_fault_hang(svc):
    client = Client(svc, timeout=5)
    token = client.access_token()
    svc.add_fault({"op": "list", "kind": "hang", "seconds": 0.5})
    started = time.monotonic()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
        client.graph("GET", ALICE_PATH, token=token)
    assert time.monotonic() - started >= 0.5
    client.close()
    # A client that gives up first sees a silent connection.
    client = Client(svc, timeout=0.3)
    svc.add_fault({"op": "list", "kind": "hang", "seconds": 2})
    with pytest.raises(socket.timeout):
        client.graph("GET", ALICE_PATH, token=token)
    client.close()


def test_fault_validation(svc):
    with pytest.raises(ValueError):
        svc.add_fault({"op": "list", "kind": "explode"})
    with pytest.raises(ValueError):
        svc.add_fault({"op": "users", "kind": "drop"})


# -- scale and lifetime ----------------------------------------------------------------
def test_bulk_users(client, svc):
    upns = svc.add_users_bulk(10000)
    assert upns[0] == "user00000@example.test" and upns[-1] == "user09999@example.test"
    status, _, payload = client.graph("GET", PHONES.format("user04242%40example.test"))
    assert status == 200
    assert payload["value"] == [{"id": METHOD_IDS["mobile"], "phoneNumber": "+1 5550004242",
                                 "phoneType": "mobile", "smsSignInState": "notConfigured"}]
    with pytest.raises(ValueError):
        svc.add_user("USER00001@example.test")


def test_stop_ends_connections_and_threads(service):
    """A second service sharing the first one's CA: stop() must end idle
    keep-alive connections, a hang and a silent TLS client, leaving no thread."""
    before = set(threading.enumerate())
    other = GraphService(None, pki=service.pki).start()
    assert other.ca_file == service.ca_file
    other.add_user(ALICE, {"mobile": "+1 5555550117"})
    idle = Client(other)
    token = idle.access_token()
    other.add_fault({"op": "list", "kind": "hang"})                    # 30 s unless stopped
    errors = []

    def hung():
        c = Client(other, timeout=10)
        try:
            c.graph("GET", ALICE_PATH, token=token)
        except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError) as exc:
            errors.append(exc)
        finally:
            c.close()

    waiter = threading.Thread(target=hung)
    waiter.start()
    silent = socket.create_connection(other.server.server_address)    # never starts TLS
    deadline = time.monotonic() + 5
    while not any(r["fault"] == "hang" for r in other.requests) and time.monotonic() < deadline:
        time.sleep(0.01)
    other.stop()
    waiter.join(5)
    assert errors and not waiter.is_alive(), "stop() ended the hung request"
    idle.close()
    silent.close()
    assert set(threading.enumerate()) - before == set()
