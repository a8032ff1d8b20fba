"""Phones from a directory, end to end: the examples of conf/directory/
installed as an administrator would (only the site's endpoints, names and
secrets replaced), a real slapd (AD-like and FreeIPA-like trees) and the
Entra ID / Microsoft Graph fake, and the real clients. alice has no local
phone record in this file: every phone she is offered comes from the
directory. Each test asserts what the client concluded, what the user saw
and the line phonemfad logged."""
import os
import re
import tempfile

import pytest

from clients import Paramiko, Ssh, Su, Sudo
from conftest import clear_state
from system import directory_example, install, run, secret_file
from test_logins import login
from test_setup_admin import change_lines
from test_setup_self import NEW, Session, add_alternate

from graph_fake import GraphService
from slapd import AD_BASE, IPA_BASE, RefusedPort, Slapd

LOCAL_RECORD = "/var/lib/phonemfa/alice.json"
OFFICE = "+15555550123"
UNAVAILABLE = "Phone verification is not available right now. Try again later."
DOMAIN = "corp.example.test"          # slapd's AD realm; the Entra tenant's domain here too
UPN = f"alice@{DOMAIN}"
# A name as sssd gives AD users; his own number, so a login proves his entry was read.
DAVE, DAVE_PASSWORD, DAVE_PHONE = f"dave@{DOMAIN}", "dave-Pass-4", "+15555550150"
# Another domain's dave: the examples' %l would find the directory's dave for him.
OTHER_DAVE = "dave@other.example.test"
ALICE_AD, ALICE_IPA = f"cn=alice,{AD_BASE}", f"uid=alice,{IPA_BASE}"
GRAPH_CA = "/etc/phonemfa/graph-ca.pem"

# alice's phones as each directory keeps them (AD and FreeIPA: formatted by
# people; Graph: "+CC number" with "x" before an extension).
AD_PHONES = {"mobile": "+1 555 555 0117", "otherMobile": "+1 (555) 555-0119",
             "telephoneNumber": "+1 555 555 0123 x4321"}
IPA_PHONES = {"mobile": "+1 555 555 0117", "telephoneNumber": "+1 555 555 0123"}
GRAPH_PHONES = {"mobile": "+1 5555550117", "alternateMobile": "+1 5555550119", "office": "+1 5555550123x4321"}

AD_MENU = ("Verify your identity:\n  1) Text +X XXXXXXXX17\n  2) Call +X XXXXXXXX17\n"
           "  3) Text +X XXXXXXXX19 (alternate)\n  4) Call +X XXXXXXXX19 (alternate)\n"
           "  5) Call +X XXXXXXXX23 (office)\nChoose 1-5 [1]: ")
IPA_MENU = ("Verify your identity:\n  1) Text +X XXXXXXXX17\n  2) Call +X XXXXXXXX17\n"
            "  3) Call +X XXXXXXXX23 (office)\nChoose 1-3 [1]: ")
# Graph's alternateMobile and office phones take calls only.
ENTRA_MENU = ("Verify your identity:\n  1) Text +X XXXXXXXX17\n  2) Call +X XXXXXXXX17\n"
              "  3) Call +X XXXXXXXX19 (alternate)\n  4) Call +X XXXXXXXX23 (office)\nChoose 1-4 [1]: ")


def clients(*chosen):
    """Runs the test with these real clients only (see conftest's client)."""
    return pytest.mark.parametrize("client", chosen, indirect=True, ids=lambda c: c.name)


# -- the examples, with this site's values --------------------------------------------------


def active_directory(slapd):
    return directory_example("active-directory", {
        # dc1 over ldaps://, dc2 over ldap:// with StartTLS: both are this slapd.
        '"ldaps://dc1.corp.example.com"': f'"{slapd.ldaps_uri}"',
        '"ldaps://dc2.corp.example.com"': f'"{slapd.ldap_uri}"',
        "CN=svc-phonemfa,OU=Service Accounts,DC=corp,DC=example,DC=com": slapd.reader_dn,
        "CN=svc-phonemfa-write,OU=Service Accounts,DC=corp,DC=example,DC=com": slapd.writer_dn,
        # The write account, as the guide says: its two lines uncommented.
        "  # write_bind_dn = ": "  write_bind_dn = ",
        "  # write_bind_password_file = ": "  write_bind_password_file = ",
        "CN=Users,DC=corp,DC=example,DC=com": slapd.ad_base,
        'domain = "corp.example.com";': f'domain = "{DOMAIN}";',
    })


def freeipa(slapd):
    return directory_example("freeipa", {
        '"ldaps://ipa1.ipa.example.com"': f'"{slapd.ldaps_uri}"',
        '"ldaps://ipa2.ipa.example.com"': f'"{slapd.ldap_uri}"',
        "uid=phonemfa,cn=sysaccounts,cn=etc,dc=ipa,dc=example,dc=com": slapd.reader_dn,
        "cn=users,cn=accounts,dc=ipa,dc=example,dc=com": slapd.ipa_base,
        'domain = "ipa.example.com";': 'domain = "ipa.example.test";',
    })


def entra(graph, user=f"%l@{DOMAIN}", write=True, url=None):
    """url: where the token endpoint and Graph are (the fake's by default).
    The example relies on Microsoft's URLs and the system CAs, the defaults:
    the fake's endpoints and CA are added at the top of the group."""
    url = url or graph.url
    return directory_example("entra", {
        "entra: {\n": f'entra: {{\n  authority_url = "{url}";\n  graph_url = "{url}";\n  ca_file = "{GRAPH_CA}";\n',
        '"contoso.onmicrosoft.com"': f'"{graph.tenant}"',
        '"00000000-0000-0000-0000-000000000000"': f'"{graph.client_id}"',
        '"%l@contoso.com"': f'"{user}"',
        'domain = "contoso.com";': f'domain = "{DOMAIN}";',
        "write = false;": f"write = {'true' if write else 'false'};",
    })


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def directories(system):
    """One slapd and one Graph fake for the file; the CA and the secret
    files where the examples name them; alice (AD and FreeIPA trees) and
    dave in slapd; the local account dave@corp.example.test; alice's local
    record moved away. The stock files backend and her record come back at
    the end, for the files after this one."""
    slapd = Slapd(tempfile.mkdtemp(prefix="e2e-slapd-"), users=10).start()
    graph = GraphService(tempfile.mkdtemp(prefix="e2e-graph-")).start()
    installed = ["/etc/phonemfa/corp-ca.pem", "/etc/ipa/ca.crt", GRAPH_CA, "/etc/phonemfa/ldap-bind.secret",
                 "/etc/phonemfa/ldap-write.secret", "/etc/phonemfa/entra.secret"]
    install(slapd.ca_file, "/etc/phonemfa/corp-ca.pem")
    install(slapd.ca_file, "/etc/ipa/ca.crt")
    install(graph.ca_file, GRAPH_CA)
    secret_file("/etc/phonemfa/ldap-bind.secret", slapd.reader_password)
    secret_file("/etc/phonemfa/ldap-write.secret", slapd.writer_password)
    secret_file("/etc/phonemfa/entra.secret", graph.client_secret)
    slapd.add_user("ad", "alice", **AD_PHONES)
    slapd.add_user("ipa", "alice", **IPA_PHONES)
    slapd.add_user("ad", "dave", mobile="+1 555 555 0150")
    # useradd refuses '@' in a name unless told the name is meant.
    for name in (DAVE, OTHER_DAVE):
        run("useradd", "--badname", "--create-home", "--shell", "/bin/bash", name)
        run("chpasswd", input=f"{name}:{DAVE_PASSWORD}\n")
    os.remove(LOCAL_RECORD)
    yield slapd, graph
    system.settle()
    system.configure()
    system.enroll("alice")
    for name in (DAVE, OTHER_DAVE):
        run("userdel", "--remove", name)
    graph.stop()
    slapd.stop()
    for path in installed:
        os.remove(path)


@pytest.fixture
def site(system, directories):
    """Each test starts with alice's phones as above in slapd and in Graph,
    dave's in Graph, no abuse counters and no setup worker left; the stock
    configuration is back afterwards."""
    slapd, graph = directories
    system.settle()
    system.network.reset()
    clear_state()
    slapd.set_attrs(ALICE_AD, **AD_PHONES)
    graph.reset()
    graph.add_user(UPN, phones=GRAPH_PHONES)
    graph.add_user(DAVE, phones={"mobile": "+1 5555550150"})
    yield system
    system.network.reset()  # also call_mode back to "code"
    system.configure()


@pytest.fixture
def setup_session(site):
    """Starts phonemfa-setup as alice (after the test has configured the
    directory); closed at the end even when the test failed half-way, so
    its worker in phonemfad ends and the next test's settle() is not held."""
    sessions = []

    def start():
        sessions.append(Session(site))
        return sessions[-1]
    yield start
    for session in sessions:
        session.child.close(force=True)


def fields(lines):
    """The one outcome line, as a dict; a quoted value (the masked phone) whole."""
    assert len(lines) == 1, f"expected one outcome line, got {lines}"
    return {key: value.strip('"') for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', lines[0])}


def assert_no_local_record():
    assert not os.path.exists(LOCAL_RECORD), "the phones are the directory's: nothing is kept on the host"


# -- logins -----------------------------------------------------------------------------------


def test_active_directory_phones_at_login(site, client, directories):
    slapd, _ = directories
    assert_no_local_record()
    site.configure(directory=active_directory(slapd))
    ok, user, lines, _ = login(site, client, choices=["1"])
    assert ok, user.screen()
    assert AD_MENU in user.screen(), "mobile, otherMobile and telephoneNumber make the menu"
    assert "Code sent to +X XXXXXXXX17." in user.screen()
    result = fields(lines)
    assert (result["outcome"], result["reason"], result["user"], result["service"], result["channel"]) == \
        ("success", "approved", "alice", client.service, "text")
    assert_no_local_record()


@clients(Ssh())
def test_freeipa_phones_at_login(site, client, directories):
    slapd, _ = directories
    site.configure(directory=freeipa(slapd))
    ok, user, lines, _ = login(site, client, choices=["2"])
    assert ok, user.screen()
    assert IPA_MENU in user.screen(), "FreeIPA has no alternate phone: the example reads none"
    assert "Calling +X XXXXXXXX17." in user.screen()
    result = fields(lines)
    assert (result["outcome"], result["reason"], result["channel"], result["phone"]) == \
        ("success", "approved", "call", "+X XXXXXXXX17")
    assert_no_local_record()


@clients(Ssh(), Paramiko(), Sudo())
def test_entra_phones_at_login(site, client, directories):
    _, graph = directories
    site.configure(directory=entra(graph))
    ok, user, lines, _ = login(site, client, choices=["3"])
    assert ok, user.screen()
    assert ENTRA_MENU in user.screen()
    assert "Calling +X XXXXXXXX19." in user.screen()
    result = fields(lines)
    assert (result["outcome"], result["reason"], result["service"], result["channel"], result["phone"]) == \
        ("success", "approved", client.service, "call", "+X XXXXXXXX19")
    assert [r["user"] for r in graph.requests if r["op"] == "list"] == [UPN], "the example's %l@domain"
    assert_no_local_record()


@pytest.mark.parametrize("backend,choice", [("ldap", "5"), ("entra", "4")])
@clients(Paramiko())
def test_the_office_phone_is_called_with_its_extension(site, client, directories, backend, choice):
    slapd, graph = directories
    site.configure(directory=active_directory(slapd) if backend == "ldap" else entra(graph))
    ok, user, lines, _ = login(site, client, choices=[choice], phones={choice: OFFICE})
    assert ok, user.screen()
    assert f"{choice}) Call +X XXXXXXXX23 (office)" in user.screen()
    call = site.network.deliveries[-1]
    assert (call["to"], call["channel"], call["extension"]) == (OFFICE, "call", "4321")
    assert (fields(lines)["outcome"], fields(lines)["phone"]) == ("success", "+X XXXXXXXX23")


@pytest.mark.parametrize("backend", ["ldap", "entra"])
@clients(Ssh(), Paramiko(), Su())
def test_user_at_domain_names_as_sssd_gives_them(site, client, directories, backend):
    """dave@corp.example.test: the AD example finds sAMAccountName=dave
    (%l); Entra is asked for the name as it is (user = "%u")."""
    slapd, graph = directories
    site.configure(directory=active_directory(slapd) if backend == "ldap" else entra(graph, user="%u"))
    ok, user, lines, _ = login(site, client, DAVE, password=DAVE_PASSWORD, phones={"1": DAVE_PHONE})
    assert ok, user.screen()
    assert "1) Text +X XXXXXXXX50" in user.screen()
    result = fields(lines)
    assert (result["outcome"], result["user"], result["phone"]) == ("success", DAVE, "+X XXXXXXXX50")
    if backend == "entra":
        assert [r["user"] for r in graph.requests if r["op"] == "list"] == [DAVE]


@pytest.mark.parametrize("backend", ["ldap", "entra"])
@clients(Ssh())
def test_a_name_of_another_domain_gets_no_phones(site, client, directories, backend):
    """dave@other.example.test is not the directory's dave, though the
    examples' templates take only "dave" (%l): directory.domain denies him,
    and nothing is sent to dave's phone."""
    slapd, graph = directories
    site.configure(directory=active_directory(slapd) if backend == "ldap" else entra(graph))
    ok, user, lines, mark = login(site, client, OTHER_DAVE, password=DAVE_PASSWORD, phones={"1": DAVE_PHONE})
    assert not ok
    assert "Permission denied" in user.screen()
    assert not [p for p in user.seen if "Choose" in p], "no menu of dave's phones"
    result = fields(lines)
    assert (result["outcome"], result["reason"], result["user"]) == ("error", "directory_error", OTHER_DAVE)
    site.wait_for_log(mark, rf"{re.escape(OTHER_DAVE)} is not a user of directory.domain {re.escape(DOMAIN)}")
    assert not site.network.ops()
    assert not [r for r in graph.requests if r["op"] == "list"], "Graph is not even asked"


# -- phonemfa-setup: the user's own phones in the directory -----------------------------------


def assert_saved(system, session, mark, verified_by):
    """phonemfa-setup saved the new alternate phone, logged the change as
    alice's own, and kept nothing on the host."""
    session.expect("Saved.")
    session.choose("Quit")
    assert session.finish()[0] == 0
    assert any(f'change=add user=alice slot=alternate phone="+XX XXXXXXXX23" verified_by={verified_by}' in line
               and "actor=alice" in line for line in change_lines(system, mark))
    assert_no_local_record()


def assert_next_login_offers(system, entry):
    """A sudo login after the change: the menu has the new alternate phone
    (menu entry 3 in both directories), and a code from it lets alice in."""
    system.network.reset()  # a call is verified by a spoken code again
    ok, user, lines, _ = login(system, Sudo(), choices=["3"], alternate=NEW)
    assert ok, user.screen()
    assert entry in user.screen()
    result = fields(lines)
    assert (result["outcome"], result["phone"]) == ("success", "+XX XXXXXXXX23")


def test_self_service_writes_the_alternate_into_active_directory(site, setup_session, directories):
    slapd, _ = directories
    site.configure(directory=active_directory(slapd))  # with the example's write_bind_dn
    mark = site.syslog.mark()
    session = setup_session()
    session.reauthenticate()
    assert "Code sent to +XX XXXXXXXX23." in add_alternate(session)
    session.send(site.network.last_code(NEW))
    assert_saved(site, session, mark, "text")
    assert slapd.get_attrs(ALICE_AD)["otherMobile"] == [NEW]
    assert_next_login_offers(site, "3) Text +XX XXXXXXXX23 (alternate)")


def test_self_service_writes_the_alternate_into_entra_proved_by_a_call(site, setup_session, directories):
    """As Security info does it: we are calling the new phone, the user
    answers and presses #."""
    _, graph = directories
    site.configure(directory=entra(graph))
    mark = site.syslog.mark()
    session = setup_session()
    session.reauthenticate()
    site.network.call_mode = "approval"
    shown = add_alternate(session, channel="2", until=r"press # to confirm the phone\.")
    assert "Calling +XX XXXXXXXX23. Answer it and press # to confirm the phone." in shown
    assert site.network.answer_call(NEW, "approve")
    assert_saved(site, session, mark, "call")
    assert graph.phones(UPN)["alternateMobile"] == "+44 7700900123"
    assert_next_login_offers(site, "3) Call +XX XXXXXXXX23 (alternate)")


@pytest.mark.parametrize("backend", ["freeipa", "entra"])
def test_a_read_only_directory_says_who_manages_the_phones(site, setup_session, directories, backend):
    """FreeIPA's example has no write_bind_dn; Entra's with write = false."""
    slapd, graph = directories
    if backend == "freeipa":
        site.configure(directory=freeipa(slapd))
        managed_by, held = "your FreeIPA administrators (ipa user-mod --mobile)", lambda: slapd.get_attrs(ALICE_IPA)
    else:
        site.configure(directory=entra(graph, write=False))
        managed_by, held = "Security info, https://mysignins.microsoft.com", lambda: graph.phones(UPN)
    before = held()
    mark = site.syslog.mark()
    session = setup_session()
    session.reauthenticate()
    menu = session.expect(r"Choose: ")
    assert "  primary    +X XXXXXXXX17  (texts and calls)" in menu
    assert f"Your phones are managed by {managed_by}; they cannot be changed here." in menu
    assert not re.search(r"\d\) (Add|Remove|Register)", menu), menu
    session.send(re.search(r"(\d)\) Quit", menu).group(1))
    assert session.finish()[0] == 0
    assert held() == before
    result = fields(site.syslog.outcomes(mark, "phonemfa-setup", "alice"))
    assert (result["outcome"], result["reason"]) == ("success", "approved"), "re-authenticated by the directory's phone"


# -- the directory down -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["ldap", "entra"])
@clients(Ssh(), Paramiko())
def test_the_directory_down_denies_the_login(site, client, directories, backend):
    """slapd stopped (both domain controllers of the example), or nothing
    listening where Entra should be: failmode secure denies, nothing is
    sent, and once slapd is back the next login goes through."""
    slapd, graph = directories
    if backend == "ldap":
        site.configure(directory=active_directory(slapd))
        slapd.stop()
    else:
        refused = RefusedPort()
        site.configure(directory=entra(graph, url=refused.uri.replace("ldaps://", "https://")))
    try:
        ok, user, lines, mark = login(site, client, choices=["1"])
    finally:
        if backend == "ldap":
            slapd.restart()
    assert not ok
    assert UNAVAILABLE in user.screen()
    assert not [p for p in user.seen if "Choose" in p], "no menu without the directory"
    result = fields(lines)
    assert (result["outcome"], result["reason"]) == ("denied", "directory_unavailable")
    site.wait_for_log(mark, r"phonemfad\[\d+\]: .*phone directory unavailable: ")
    assert not site.network.ops(), "nothing may be sent"
    if backend == "ldap":
        ok, user, lines, _ = login(site, client, choices=["1"])
        assert ok and fields(lines)["outcome"] == "success", user.screen()
