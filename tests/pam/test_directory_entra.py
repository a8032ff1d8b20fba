"""Phones from Microsoft Entra ID (directory.backend = "entra"): logins
through the real libpam and phonemfad against the stateful fake of the token
endpoint and Microsoft Graph's phone methods (tests/fake_service/
graph_fake.py, which follows the documented contract). The slots as Graph
types them, user@domain names, the token kept and renewed, throttling,
permissions, masked numbers, outages in both failmodes, and the seeds'
flow: enroll an alternate phone proved by a call answered with # (or a
code), see it in Graph, use it at the next login."""
import os
import subprocess

import pexpect
import pytest

from graph_fake import GraphService
from directory_helpers import SETUP, assert_unavailable, finish_with_code, run_setup, start
from harness import PAM_AUTH_ERR, PAM_IGNORE, PAM_SUCCESS
from scratch import scratch_dir
from slapd import RefusedPort

PRIMARY = "+15555550117"
ALTERNATE = "+15555550119"
OFFICE = "+15555550123"
NEW = "+447700900123"
UPN = "alice@example.test"
NOT_ENROLLED = "No phone is registered for your account. Contact your administrator."


@pytest.fixture(scope="module")
def graph_service():
    service = GraphService(scratch_dir("graph-")).start()
    yield service
    service.stop()


@pytest.fixture
def graph(graph_service):
    graph_service.reset()
    graph_service.add_user(UPN, phones={"mobile": "+1 5555550117", "alternateMobile": "+1 5555550119",
                                        "office": "+1 5555550123x4321"})
    return graph_service


def entra_config(env, graph, user="%u@example.test", write=False, secret="test-secret", extra="", url=None,
                 timeout=2):
    env.set_config()
    env.write("etc/entra.secret", secret + "\n", 0o600)
    text = open(env.config_path).read().replace(f'store: {{ directory = "{env.store}"; }};', "")
    text += f"""
directory: {{ backend = "entra"; }};
entra: {{
  tenant = "{graph.tenant}";
  client_id = "{graph.client_id}";
  client_secret_file = "{env.etc}/entra.secret";
  user = "{user}";
  authority_url = "{url or graph.url}";
  graph_url = "{url or graph.url}";
  ca_file = "{graph.ca_file}";
  write = {"true" if write else "false"};
  timeout = {timeout};
}};
{extra}
"""
    env.set_config(text=text)






def graph_calls(graph, op=None):
    return [r for r in graph.requests if op is None or r["op"] == op]


# -- the phones as Graph types them ---------------------------------------------------------


def test_mobile_alternate_and_office_make_the_menu(env, graph):
    entra_config(env, graph)
    login, menu = start(env)
    assert menu["text"] == ("Verify your identity:\n"
                            "  1) Text +X XXXXXXXX17\n"
                            "  2) Call +X XXXXXXXX17\n"
                            "  3) Call +X XXXXXXXX19 (alternate)\n"
                            "  4) Call +X XXXXXXXX23 (office)\n"
                            "Choose 1-4 [1]: "), "alternateMobile and office take calls only"
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    assert login.outcome()["outcome"] == "success"
    assert os.listdir(env.store) == []
    lists = graph_calls(graph, "list")
    assert len(lists) == 1 and lists[0]["path"] == "/v1.0/users/alice%40example.test/authentication/phoneMethods"


def test_office_is_called_with_its_extension(env, graph):
    entra_config(env, graph)
    login, _ = start(env)
    login.answer("4")
    login.prompt()
    call = env.network.deliveries[-1]
    assert (call["to"], call["channel"], call["extension"]) == (OFFICE, "call", "4321")
    login.answer(env.network.last_code(OFFICE))
    assert login.finish() == PAM_SUCCESS


def test_user_at_domain_names_as_given(env, graph):
    env.add_user(UPN, 1201)
    entra_config(env, graph, user="%u")
    login, _ = start(env, user=UPN)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    assert login.outcome()["user"] == UPN


def test_user_not_in_entra_and_user_without_phones(env, graph):
    entra_config(env, graph)
    login = env.login(user="carol")
    assert login.finish() == PAM_AUTH_ERR
    assert NOT_ENROLLED in login.messages()
    graph.add_user("bob@example.test")
    login = env.login(user="bob")
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "not_enrolled"


def test_a_404_that_is_not_graphs_no_such_user_is_not_unenrolled(env, graph):
    """Review finding: a wrong graph_url, or a proxy's HTML 404, must not
    read as "no such user" (which unenrolled = ignore lets through)."""
    entra_config(env, graph, extra='login: { unenrolled = "ignore"; };')
    graph.add_fault({"op": "list", "kind": "body", "status": 404, "content_type": "text/html",
                     "body": "<html>Not Found</html>"})
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert login.outcome()["reason"] == "directory_error"


def test_a_phone_method_without_number_is_not_unenrolled(env, graph):
    entra_config(env, graph, extra='login: { unenrolled = "ignore"; };')
    graph.add_fault({"op": "list", "kind": "body", "content_type": "application/json",
                     "body": '{"value": [{"id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneType": "mobile"}]}'})
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert login.outcome()["reason"] == "directory_error"


def test_throttling_is_not_an_outage_for_failmode_safe(env, graph):
    """Graph throttles the app across the tenant: logins anyone starts can
    cause it, so it denies rather than opening failmode safe."""
    entra_config(env, graph, extra='login: { failmode = "safe"; };')
    graph.add_fault({"op": "list", "kind": "throttle", "retry_after": 120})
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert login.outcome()["reason"] == "directory_error"


def test_masked_numbers_are_never_dialled(env, graph):
    graph.mask_numbers = True
    entra_config(env, graph)
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert login.outcome()["reason"] == "directory_error"
    logs = "\n".join(login.logs()) + "\n".join(login.daemon.lines())
    assert "shows only masked numbers for alice@example.test" in logs
    assert not env.network.deliveries


def test_phones_none_of_which_is_usable_deny_even_when_unenrolled_is_ignore(env, graph):
    graph.reset()
    graph.add_user(UPN, phones={"mobile": "+1 555"})
    entra_config(env, graph, extra='login: { unenrolled = "ignore"; };')
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert login.outcome()["reason"] == "directory_error"
    assert any("alice@example.test has phones in Entra ID but none is usable" in line for line in login.logs())


def test_unusable_number_in_graph_is_skipped(env, graph):
    graph.reset()
    graph.add_user(UPN, phones={"mobile": "+1 555", "alternateMobile": "+1 5555550119"})
    entra_config(env, graph)
    login, menu = start(env)
    assert menu["text"].startswith("Verify your identity:\n  1) Call +X XXXXXXXX19 (alternate)\n")
    assert finish_with_code(env, login, "1", ALTERNATE) == PAM_SUCCESS
    assert any("directory: the mobile phone of alice@example.test is not usable" in line
               for line in login.daemon.lines())


# -- the token ---------------------------------------------------------------------------------


def test_the_token_is_kept_between_logins(env, graph):
    entra_config(env, graph)
    for _ in range(3):
        login, _ = start(env)
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    assert graph.token_requests == 1


def test_an_expired_token_is_renewed_once(env, graph):
    entra_config(env, graph)
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    graph.expire_tokens()
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    assert graph.token_requests == 2
    assert [r["status"] for r in graph_calls(graph, "list")] == [200, 401, 200]


def test_a_wrong_secret_denies_even_in_failmode_safe(env, graph):
    entra_config(env, graph, secret="not-the-secret", extra='login: { failmode = "safe"; };')
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("error", "directory_error")
    assert any("Entra ID refused the app's credentials" in line and "invalid_client" in line and
               "(error code 7000215)" in line for line in login.logs())
    assert not any("not-the-secret" in line for line in login.daemon.lines())


def test_missing_permission_says_which(env, graph):
    graph.set_roles(["User.Read.All"])
    entra_config(env, graph)
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert any("HTTP 403 Authorization_RequestDenied" in line and "UserAuthMethod-Phone.Read.All" in line
               for line in login.logs())


# -- a certificate instead of a secret ----------------------------------------------------


def certificate(env, name, algorithm="rsa:2048"):
    """A self-signed certificate (as one uploads to an app registration)
    and its key, 0600: (cert, key). algorithm "ec": P-256."""
    cert, key = os.path.join(env.etc, f"{name}.pem"), os.path.join(env.etc, f"{name}.key")
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if algorithm == "ec" else ["-newkey", algorithm]
    subprocess.run(["openssl", "req", "-x509", *new_key, "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", f"/CN={name}"], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def with_certificate(env, graph, cert, key):
    entra_config(env, graph)
    text = open(env.config_path).read().replace(f'client_secret_file = "{env.etc}/entra.secret";',
                                                f'client_certificate = "{cert}"; client_key = "{key}";')
    env.set_config(text=text)


def test_a_certificate_credential_signs_the_assertion(env, graph):
    cert, key = certificate(env, "phonemfa-app")
    graph.trust_certificate(cert)
    with_certificate(env, graph, cert, key)
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    assert graph.token_requests == 1


def test_a_certificate_entra_does_not_know_is_refused(env, graph):
    trusted, _ = certificate(env, "uploaded")
    cert, key = certificate(env, "other")
    graph.trust_certificate(trusted)
    with_certificate(env, graph, cert, key)
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert any("Entra ID refused the app's credentials" in line and "(error code 700027)" in line
               for line in login.logs())


@pytest.mark.parametrize("problem", ["ec key", "another key", "shared key"])
def test_certificate_settings_are_checked_at_load(env, graph, problem):
    cert, key = certificate(env, "app", "ec" if problem == "ec key" else "rsa:2048")
    if problem == "another key":
        _, key = certificate(env, "stranger")
    if problem == "shared key":
        os.chmod(key, 0o644)
    with_certificate(env, graph, cert, key)
    login = env.login()
    assert login.finish() != PAM_SUCCESS
    expected = {"ec key": "the key must be RSA", "another key": "is not the key of this certificate",
                "shared key": "it must be mode 0600"}[problem]
    assert any("config error" in line and expected in line for line in login.logs()), login.logs()


# -- throttling and outages --------------------------------------------------------------------




def test_a_short_retry_after_is_waited_out(env, graph):
    entra_config(env, graph)
    graph.add_fault({"op": "list", "kind": "throttle", "retry_after": 1})
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    assert [r["status"] for r in graph_calls(graph, "list")] == [429, 200]


def test_a_long_retry_after_is_not_waited_for(env, graph):
    entra_config(env, graph)
    graph.add_fault({"op": "list", "kind": "throttle", "retry_after": 120})
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert len(graph_calls(graph, "list")) == 1, "never hammered"
    assert any("HTTP 429" in line for line in login.logs())


def test_graph_unreachable_or_silent(env, graph):
    refused = RefusedPort()
    entra_config(env, graph, url=refused.uri.replace("ldaps://", "https://"))
    assert_unavailable(env.login())
    entra_config(env, graph, timeout=1)
    graph.add_fault({"op": "list", "kind": "hang", "seconds": 10})
    assert_unavailable(env.login())


def test_a_silent_token_endpoint_is_asked_once_not_once_per_login(env, graph):
    """The logins waiting while one asks for the token are not each made
    to wait out the timeout again: one request, every login told at once."""
    entra_config(env, graph, timeout=1)
    graph.add_fault({"op": "token", "kind": "hang", "seconds": 10})
    logins = [env.login() for _ in range(3)]
    for login in logins:
        assert_unavailable(login)
    assert len(graph_calls(graph, "token")) == 1
    assert any("(a moment ago; not asked again yet)" in line for line in login.daemon.lines())


def test_a_malformed_answer_denies(env, graph):
    entra_config(env, graph, extra='login: { failmode = "safe"; };')
    graph.add_fault({"op": "list", "kind": "malformed"})
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE), "nonsense is not an outage"
    assert login.outcome()["reason"] == "directory_error"


# -- phonemfa-setup with Entra ID -------------------------------------------------------------




def test_seeds_flow_alternate_phone_proved_by_pressing_hash(env, graph):
    """As Security info does it: add an alternate phone, we are calling it,
    the user answers and presses #; then it is in Graph and the next login
    offers it."""
    graph.reset()
    graph.add_user(UPN, phones={"mobile": "+1 5555550117"})
    env.network.call_mode = "approval"
    entra_config(env, graph, write=True)
    env.start_daemon()
    child = pexpect.spawn(SETUP, ["--socket", env.socket, "--user", "alice", "add", "alternate", "+44 7700 900123",
                                  "--verify", "call"], encoding="utf-8", timeout=30)
    child.expect(r"Verify \+44 7700900123 by call\? \[Y/n\] ")
    child.sendline("y")
    child.expect(r"Calling \+XX XXXXXXXX23")
    assert env.network.answer_call(NEW, "approve")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert graph.phones(UPN) == {"mobile": "+1 5555550117", "alternateMobile": "+44 7700900123"}
    env.network.call_mode = "code"
    login, menu = start(env)
    assert "3) Call +XX XXXXXXXX23 (alternate)" in menu["text"]
    assert finish_with_code(env, login, "3", NEW) == PAM_SUCCESS


def test_enroll_by_code_change_and_remove(env, graph):
    entra_config(env, graph, write=True)
    env.start_daemon()
    child = pexpect.spawn(SETUP, ["--socket", env.socket, "--user", "alice", "add", "alternate", "+44 7700 900123",
                                  "--verify", "text"], encoding="utf-8", timeout=30)
    child.expect(r"Verify \+44 7700900123 by text\? \[Y/n\] ")
    child.sendline("")
    child.expect(r"Code sent to \+XX XXXXXXXX23\. Enter the code: ")
    child.sendline(env.network.last_code(NEW))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert graph.phones(UPN)["alternateMobile"] == "+44 7700900123"
    assert [r["method"] for r in graph.requests if r["op"] in ("add", "update")] == ["PATCH"], \
        "an existing alternateMobile is updated in place"
    listed = run_setup(env, "--user", "alice", "list")
    assert "alice (phones in Microsoft Entra ID (tenant phonemfa-test))" in listed.stdout
    assert "alternate  +447700900123  call" in listed.stdout
    removed = run_setup(env, "--user", "alice", "remove", "alternate", "--yes")
    assert removed.returncode == 0, removed.stderr
    assert "alternateMobile" not in graph.phones(UPN)
    changed = run_setup(env, "--user", "alice", "add", "office", "+44 20 7946 0958 x12", "--no-verify")
    assert changed.returncode == 0, changed.stderr
    assert graph.phones(UPN)["office"] == "+44 2079460958x12", "replaced in place, never a second office"
    graph.reset()
    graph.add_user(UPN, phones={"mobile": "+1 5555550117"})
    added = run_setup(env, "--user", "alice", "add", "office", "+44 20 7946 0958 x12", "--no-verify")
    assert added.returncode == 0, added.stderr
    assert graph.phones(UPN)["office"] == "+44 2079460958x12"
    assert [r["method"] for r in graph.requests if r["op"] == "add"] == ["POST"]


def test_the_authentication_phone_is_the_users_own(env, graph):
    entra_config(env, graph, write=True)
    refused = run_setup(env, "--user", "alice", "add", "primary", "+44 7700 900123", "--no-verify")
    assert refused.returncode == 3
    assert "the primary phone cannot be changed in Microsoft Entra ID" in refused.stderr
    assert graph.phones(UPN)["mobile"] == "+1 5555550117"


def test_read_only_and_missing_write_permission(env, graph):
    entra_config(env, graph, write=False)
    refused = run_setup(env, "--user", "alice", "remove", "alternate")
    assert refused.returncode == 3
    assert "it is managed by your administrator, in Microsoft Entra ID" in refused.stderr
    graph.set_roles(["UserAuthMethod-Phone.Read.All"])
    entra_config(env, graph, write=True)
    refused = run_setup(env, "--user", "alice", "remove", "alternate", "--yes")
    assert refused.returncode == 3
    assert "HTTP 403" in refused.stderr and "UserAuthMethod-Phone.ReadWrite.All" in refused.stderr
    assert "alternateMobile" in graph.phones(UPN)


def test_check_reports_entra(env, graph):
    entra_config(env, graph, write=True)
    good = run_setup(env, "check")
    assert good.returncode == 0, good.stdout + good.stderr
    assert ("ok       phones in Microsoft Entra ID (tenant phonemfa-test): reachable, certificate and credentials "
            "accepted; phonemfa-setup may change phones there") in good.stdout
