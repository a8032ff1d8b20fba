"""Tests of the private slapd fixture (slapd.py) itself, with the real
ldap-utils run through ldap_tool (LDAPNOINIT=1: nothing from the host's
ldap.conf or environment)."""
import os
import socket
import ssl
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pki import make_pki  # noqa: E402
from slapd import (PHONE_ATTRS, RefusedPort, SilentServer, Slapd, bulk_user,  # noqa: E402
                   ldap_tool, schema_attribute_names)

INSUFFICIENT_ACCESS = 50


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(str(tmp_path_factory.mktemp("pki")))


def stop_and_check(d):
    pid = d.pid
    d.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.fixture(scope="module")
def server(tmp_path_factory, pki):
    d = Slapd(str(tmp_path_factory.mktemp("slapd")), users=100, pki=pki).start()
    yield d
    stop_and_check(d)


@pytest.fixture(scope="module")
def plain(tmp_path_factory, pki):
    d = Slapd(str(tmp_path_factory.mktemp("slapd-plain")), users=3, pki=pki, tls=False).start()
    yield d
    stop_and_check(d)


def credentials(d, who):
    return {"root": ["-D", d.root_dn, "-w", d.root_password],
            "reader": ["-D", d.reader_dn, "-w", d.reader_password],
            "writer": ["-D", d.writer_dn, "-w", d.writer_password],
            "anonymous": []}[who]


def search(d, who, base, filt, *attrs, uri=None, ca_file=None):
    return ldap_tool("ldapsearch", "-x", "-H", uri or d.ldap_uri, *credentials(d, who),
                     "-LLL", "-o", "ldif_wrap=no", "-b", base, filt, *attrs, ca_file=ca_file)


def modify(d, who, dn, attr, *values):
    ldif = (f"dn: {dn}\nchangetype: modify\nreplace: {attr}\n"
            + "".join(f"{attr}: {v}\n" for v in values) + "-\n")
    return ldap_tool("ldapmodify", "-x", "-H", d.ldap_uri, *credentials(d, who), input=ldif)


def dns(result):
    return [line[4:] for line in result.stdout.splitlines() if line.startswith("dn: ")]


# -- TLS ----------------------------------------------------------------------

def test_ldaps_with_the_test_ca_works(server):
    result = search(server, "reader", server.ad_base, "(sAMAccountName=user00001)", "mobile",
                    uri=server.ldaps_uri, ca_file=server.ca_file)
    assert result.returncode == 0, result.stderr
    assert dns(result) == [f"cn=user00001,{server.ad_base}"]


def test_ldaps_with_the_rogue_ca_fails(server):
    result = ldap_tool("ldapwhoami", "-x", "-H", server.ldaps_uri, ca_file=server.rogue_ca_file)
    assert result.returncode != 0
    assert "Can't contact LDAP server" in result.stderr


def test_ldaps_without_a_ca_fails(server):
    # LDAPNOINIT: the system bundle from the host's ldap.conf is not used either.
    result = ldap_tool("ldapwhoami", "-x", "-H", server.ldaps_uri)
    assert result.returncode != 0


def test_starttls_works_when_tls_is_on(server):
    result = ldap_tool("ldapwhoami", "-x", "-ZZ", "-H", server.ldap_uri, *credentials(server, "reader"),
                       ca_file=server.ca_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"dn:{server.reader_dn}"
    rogue = ldap_tool("ldapwhoami", "-x", "-ZZ", "-H", server.ldap_uri, ca_file=server.rogue_ca_file)
    assert rogue.returncode != 0
    assert "ldap_start_tls" in rogue.stderr


def test_starttls_refused_when_tls_is_off(plain):
    assert plain.ldaps_uri is None
    result = ldap_tool("ldapwhoami", "-x", "-ZZ", "-H", plain.ldap_uri, ca_file=plain.ca_file)
    assert result.returncode != 0
    assert "ldap_start_tls" in result.stderr
    # Plain LDAP still works there.
    found = search(plain, "reader", plain.ipa_base, "(uid=user00002)")
    assert dns(found) == [f"uid=user00002,{plain.ipa_base}"]


# -- access control -----------------------------------------------------------

@pytest.mark.parametrize("layout,filt", [
    ("ad", "(sAMAccountName=user00042)"),
    ("ad", "(sAMAccountName=USER00042)"),  # caseIgnoreMatch, as in AD
    ("ad", "(userPrincipalName=user00042@corp.example.test)"),
    ("ad", "(uid=user00042)"),
    ("ipa", "(uid=user00042)"),
])
def test_reader_finds_users_in_both_trees(server, layout, filt):
    base, rdn = (server.ad_base, "cn") if layout == "ad" else (server.ipa_base, "uid")
    result = search(server, "reader", base, filt, "mobile")
    assert result.returncode == 0, result.stderr
    assert dns(result) == [f"{rdn}=user00042,{base}"]
    assert f"mobile: {bulk_user(layout, 42)[1]}" in result.stdout.splitlines()


def test_reader_cannot_modify(server):
    dn = f"cn=user00043,{server.ad_base}"
    before = server.get_attrs(dn)
    for attr in ("mobile", "otherMobile", "cn"):
        assert modify(server, "reader", dn, attr, "+1 555 555 0199").returncode == INSUFFICIENT_ACCESS
    assert server.get_attrs(dn) == before


@pytest.mark.parametrize("layout", ["ad", "ipa"])
def test_writer_writes_phone_attributes_only(server, layout):
    dn = server.add_user(layout, f"writable-{layout}")
    for attr in PHONE_ATTRS:
        if layout == "ipa" and attr.startswith("other"):
            continue  # AD's attributes: not allowed by an IPA entry's object classes
        result = modify(server, "writer", dn, attr, "+1 555 555 0101", "+1 555 555 0102")
        assert result.returncode == 0, (attr, result.stderr)
        assert server.get_attrs(dn)[attr] == ["+1 555 555 0101", "+1 555 555 0102"]
    for attr in ("cn", "sn", "userPassword", "uid"):
        assert modify(server, "writer", dn, attr, "x").returncode == INSUFFICIENT_ACCESS, attr
    # Not on other entries, and no deleting.
    other = modify(server, "writer", server.reader_dn, "telephoneNumber", "+1")
    assert other.returncode == INSUFFICIENT_ACCESS
    deleted = ldap_tool("ldapdelete", "-x", "-H", server.ldap_uri, *credentials(server, "writer"), dn)
    assert deleted.returncode == INSUFFICIENT_ACCESS
    assert server.get_attrs(dn)["cn"] == [f"writable-{layout}"]


def test_writer_can_read_both_trees(server):
    for base, filt in ((server.ad_base, "(sAMAccountName=user00007)"), (server.ipa_base, "(uid=user00007)")):
        assert len(dns(search(server, "writer", base, filt))) == 1


def test_passwords_are_readable_by_nobody_but_usable_for_bind(server):
    dn = server.add_user("ad", "haspassword", userPassword="s3cret-pw")
    for who in ("reader", "writer"):
        result = search(server, who, server.ad_base, "(sAMAccountName=haspassword)", "*", "userPassword")
        assert dns(result) == [dn]
        assert "userPassword" not in result.stdout
    whoami = ldap_tool("ldapwhoami", "-x", "-H", server.ldap_uri, "-D", dn, "-w", "s3cret-pw")
    assert whoami.stdout.strip() == f"dn:{dn}"
    wrong = ldap_tool("ldapwhoami", "-x", "-H", server.ldap_uri, "-D", dn, "-w", "wrong")
    assert wrong.returncode == 49  # invalidCredentials


def test_anonymous_can_bind_but_not_read(server):
    whoami = ldap_tool("ldapwhoami", "-x", "-H", server.ldap_uri)
    assert whoami.returncode == 0 and whoami.stdout.strip() == "anonymous"
    for base, filt in ((server.ad_base, "(sAMAccountName=user00001)"), (server.ipa_base, "(uid=user00001)"),
                       ("dc=example,dc=test", "(objectClass=*)")):
        result = search(server, "anonymous", base, filt)
        assert dns(result) == [], result.stdout


def test_service_accounts_are_not_readable(server):
    for who in ("anonymous", "reader", "writer"):
        assert dns(search(server, who, "ou=services,dc=example,dc=test", "(objectClass=*)")) == []


# -- data helpers -------------------------------------------------------------

def test_multi_valued_mobile(server):
    mobiles = ["+1 555 555 0117", "+1 555 555 0118"]
    for layout, base in (("ad", server.ad_base), ("ipa", server.ipa_base)):
        dn = server.add_user(layout, "twophones", mobile=mobiles, telephoneNumber="+1 555 555 0100")
        assert server.get_attrs(dn)["mobile"] == mobiles
        # telephoneNumberMatch ignores spaces: an E.164 search finds the entry.
        result = search(server, "reader", base, "(mobile=+15555550118)", "mobile")
        assert dns(result) == [dn]
        values = [line for line in result.stdout.splitlines() if line.startswith("mobile:")]
        assert values == [f"mobile: {m}" for m in mobiles]
        server.set_attrs(dn, mobile=[], telephoneNumber=["+1 555 555 0101"])
        attrs = server.get_attrs(dn)
        assert "mobile" not in attrs and attrs["telephoneNumber"] == ["+1 555 555 0101"]


def test_add_and_delete_odd_names(server):
    name = "o'brien, jr+x"
    dn = server.add_user("ad", name, otherMobile=["+44 7700 900123"])
    assert dn == f"cn=o'brien\\, jr\\+x,{server.ad_base}"
    found = search(server, "reader", server.ad_base, f"(sAMAccountName={name})", "otherMobile")
    assert "otherMobile: +44 7700 900123" in found.stdout
    server.delete_user(dn)
    assert server.get_attrs(dn) == {}


def test_schema_names_parsed_from_an_olc_schema_ldif(tmp_path):
    ldif = tmp_path / "s.ldif"
    ldif.write_text("dn: cn=phonemfa,cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: phonemfa\n"
                    "olcAttributeTypes: ( 1.3.6.1.4.1.4203.666.11.99.2 NAME 'phonemfaA'\n"
                    "  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )\n"
                    "olcAttributeTypes: {1}( 1.3.6.1.4.1.4203.666.11.99.3 NAME ( 'phonemfaB' 'pmB' ) )\n"
                    "olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.4 NAME 'phonemfaUser' )\n")
    assert schema_attribute_names(ldif) == ["phonemfaA", "phonemfaB", "pmB"]


def test_phonemfa_schema_is_loaded(server):
    """conf/ldap/phonemfa-schema.ldif, included as shipped."""
    result = ldap_tool("ldapsearch", "-x", "-H", server.ldap_uri, "-LLL", "-o", "ldif_wrap=no", "-s", "base",
                       "-b", "cn=Subschema", "(objectClass=*)", "attributeTypes")
    for name in ("phonemfaPrimaryPhone", "phonemfaAlternatePhone", "phonemfaOfficePhone"):
        assert f"NAME '{name}'" in result.stdout, name
        assert name in server.writable_attrs


# -- bulk, restart ------------------------------------------------------------

def test_bulk_10000_users(tmp_path, pki):
    """(How fast they load is make bench's to say, not a test's.)"""
    d = Slapd(str(tmp_path), users=10_000, pki=pki).start()
    try:
        name, mobile = bulk_user("ipa", 9999)
        ipa = search(d, "reader", d.ipa_base, f"(uid={name})", "mobile")
        assert dns(ipa) == [f"uid=user09999,{d.ipa_base}"] and f"mobile: {mobile}" in ipa.stdout
        ad = search(d, "reader", d.ad_base, "(sAMAccountName=user09999)", "mobile")
        assert f"mobile: {bulk_user('ad', 9999)[1]}" in ad.stdout
        # All there for root; a service account hits slapd's default size limit (500).
        every = search(d, "root", d.ad_base, "(objectClass=user)", "1.1")
        assert len(dns(every)) == 10_000
        assert search(d, "reader", d.ad_base, "(objectClass=user)", "1.1").returncode == 4
    finally:
        stop_and_check(d)


def test_restart_keeps_data_and_ports(tmp_path, pki):
    d = Slapd(str(tmp_path), users=2, pki=pki).start()
    try:
        dn = d.add_user("ipa", "survivor", mobile=["+1 555 555 0150"])
        uris, pid = (d.ldap_uri, d.ldaps_uri), d.pid
        d.stop()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert ldap_tool("ldapwhoami", "-x", "-H", d.ldap_uri).returncode != 0
        d.restart()
        assert (d.ldap_uri, d.ldaps_uri) == uris and d.pid != pid
        result = search(d, "reader", d.ipa_base, "(uid=survivor)", "mobile",
                        uri=d.ldaps_uri, ca_file=d.ca_file)
        assert dns(result) == [dn] and "mobile: +1 555 555 0150" in result.stdout
    finally:
        stop_and_check(d)


# -- unreachable directories --------------------------------------------------

def test_silent_server_never_answers():
    silent = SilentServer()
    try:
        # -o nettimeout bounds only the TCP connect, which succeeds: TIMEOUT
        # (LDAP_OPT_TIMEOUT) is what makes the bind give up. Not run against
        # silent.uri: libldap 2.5.13 spins forever in an unanswered TLS
        # handshake (see the notes).
        began = time.monotonic()
        result = ldap_tool("ldapsearch", "-x", "-H", silent.ldap_uri, "-o", "nettimeout=1",
                           "-o", "TIMEOUT=1", "-b", "dc=example,dc=test", timeout=10)
        assert result.returncode != 0
        assert "Timed out" in result.stderr
        assert time.monotonic() - began > 0.9, "it gave up only once the timeout passed"
        # Over TLS the ClientHello gets no answer either.
        port = int(silent.uri.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            with pytest.raises(TimeoutError):
                ssl.create_default_context().wrap_socket(sock, server_hostname="127.0.0.1")
    finally:
        silent.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_refused_port_refuses():
    refused = RefusedPort()
    try:
        for uri in (refused.uri, refused.ldap_uri):
            # A connect timeout far longer than any test: a refusal, not a
            # timeout, is what ends it.
            result = ldap_tool("ldapwhoami", "-x", "-H", uri, "-o", "nettimeout=60", timeout=30)
            assert result.returncode != 0
            assert "Can't contact LDAP server" in result.stderr
    finally:
        refused.stop()
