"""Phones from an LDAP directory (directory.backend = "ldap"): logins
through the real libpam, phonemfad and a real slapd (tests/fake_service/
slapd.py) with TLS from a test CA, in an AD-like and a FreeIPA-like tree.
Each slot and the extension, missing and unusable values, names that try
LDAP injection, user@domain names, the directory down in both failmodes,
TLS and StartTLS failures, refused credentials, failover, and enrollment
into the directory with phonemfa-setup."""
import json
import os
import re
import time

import pytest

from directory_helpers import assert_unavailable, finish_with_code, run_setup, start
from harness import PAM_AUTH_ERR, PAM_IGNORE, PAM_SUCCESS, run_parallel
from scratch import scratch_dir
from slapd import RefusedPort, SilentServer, Slapd

PRIMARY = "+15555550117"
ALTERNATE = "+15555550119"
OFFICE = "+15555550123"
NOT_ENROLLED = "No phone is registered for your account. Contact your administrator."

AD_FILTER = "(&(objectClass=inetOrgPerson)(sAMAccountName=%l))"


@pytest.fixture(scope="module")
def slapd():
    server = Slapd(scratch_dir("slapd-"), users=100).start()
    yield server
    server.stop()


@pytest.fixture
def directory(slapd):
    """alice in the AD-like tree with the three phones as AD keeps them;
    alice again in the FreeIPA-like tree; removed afterwards."""
    added = [slapd.add_user("ad", "alice", mobile="+1 555 555 0117", otherMobile="+1 (555) 555-0119",
                            telephoneNumber="+1 555 555 0123 x4321"),
             slapd.add_user("ipa", "alice", mobile="+1 555 555 0117", telephoneNumber="+1 555 555 0123")]
    yield slapd
    for dn in added:
        slapd.delete_user(dn)


def ad_dn(server, name):
    return f"cn={name},{server.ad_base}"


def ldap_config(env, server, uris=None, base=None, filter_=AD_FILTER, ca=None, extra_ldap="", extra="",
                password=None, write=False, timeout=2):
    """phonemfa.conf with the phones in slapd: read as the reader (the
    password in a root-only file), written (write=True) as the writer."""
    env.set_config()
    env.write("etc/ldap.secret", (password or server.reader_password) + "\n", 0o600)
    env.write("etc/ldap-write.secret", server.writer_password + "\n", 0o600)
    uri_list = ", ".join(f'"{uri}"' for uri in (uris or [server.ldaps_uri]))
    writer = (f'write_bind_dn = "{server.writer_dn}"; '
              f'write_bind_password_file = "{env.etc}/ldap-write.secret";') if write else ""
    text = open(env.config_path).read().replace(f'store: {{ directory = "{env.store}"; }};', "")
    text += f"""
directory: {{ backend = "ldap"; managed_by = "the IT service desk (x4357)"; }};
ldap: {{
  uris = [ {uri_list} ];
  ca_file = "{ca or server.ca_file}";
  bind_dn = "{server.reader_dn}";
  bind_password_file = "{env.etc}/ldap.secret";
  base = "{base or server.ad_base}";
  filter = "{filter_}";
  timeout = {timeout};
  {writer}
  {extra_ldap}
}};
{extra}
"""
    env.set_config(text=text)






def assert_no_local_record(env):
    assert os.listdir(env.store) == [], "a directory login must not write the local phone store"


# -- each slot, as AD and FreeIPA keep them --------------------------------------------


def test_ad_phones_make_the_menu_and_a_login(env, directory):
    ldap_config(env, directory)
    login, menu = start(env)
    assert menu["text"] == ("Verify your identity:\n"
                            "  1) Text +X XXXXXXXX17\n"
                            "  2) Call +X XXXXXXXX17\n"
                            "  3) Text +X XXXXXXXX19 (alternate)\n"
                            "  4) Call +X XXXXXXXX19 (alternate)\n"
                            "  5) Call +X XXXXXXXX23 (office)\n"
                            "Choose 1-5 [1]: ")
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"], outcome["user"]) == ("success", "approved", "alice")
    assert_no_local_record(env)


def test_office_phone_is_called_with_its_extension(env, directory):
    ldap_config(env, directory)
    login, _ = start(env)
    login.answer("5")
    login.prompt()
    call = env.network.deliveries[-1]
    assert (call["to"], call["channel"], call["extension"]) == (OFFICE, "call", "4321"), call
    login.answer(env.network.last_code(OFFICE))
    assert login.finish() == PAM_SUCCESS


def test_freeipa_layout(env, directory):
    ldap_config(env, directory, base=directory.ipa_base, filter_="(uid=%u)",
                extra_ldap='alternate = "none";')
    login, menu = start(env)
    assert "(alternate)" not in menu["text"]
    assert "5) " not in menu["text"] and "3) Call +X XXXXXXXX23 (office)" in menu["text"]
    assert finish_with_code(env, login, "2", PRIMARY) == PAM_SUCCESS


def test_sasl_external_with_a_client_certificate(env, directory):
    """ldap.bind = "sasl_external": the reader is who the certificate names
    (slapd maps CN=phonemfa-client to it); no password anywhere."""
    cert, key = directory.client_cert()
    ldap_config(env, directory)
    text = open(env.config_path).read()
    text = text.replace(f'bind_dn = "{directory.reader_dn}";', 'bind = "sasl_external";')
    text = text.replace(f'bind_password_file = "{env.etc}/ldap.secret";',
                        f'client_certificate = "{cert}"; client_key = "{key}";')
    env.set_config(text=text)
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    # Without the certificate's key, nothing binds.
    env.set_config(text=text.replace(f'client_key = "{key}";', f'client_key = "{directory.rogue_ca_file}";'))
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)


def test_starttls_on_ldap_uri(env, directory):
    ldap_config(env, directory, uris=[directory.ldap_uri])
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS


# -- values the directory holds ------------------------------------------------------------


def test_user_without_phone_attributes_is_not_enrolled(env, directory):
    dn = directory.add_user("ad", "bob")
    try:
        ldap_config(env, directory)
        login = env.login(user="bob")
        assert login.finish() == PAM_AUTH_ERR
        assert NOT_ENROLLED in login.messages()
        assert login.outcome()["reason"] == "not_enrolled"
        ldap_config(env, directory, extra='login: { unenrolled = "ignore"; };')
        login = env.login(user="bob")
        login.finish()
        assert login.module_result() == PAM_IGNORE
        assert any('login.unenrolled = "ignore" with phones from the LDAP directory' in line
                   for line in login.daemon.lines()), "the administrator is warned at start"
    finally:
        directory.delete_user(dn)


def test_user_not_in_the_directory_is_not_enrolled(env, directory):
    ldap_config(env, directory)
    login = env.login(user="carol")  # in NSS, not in the directory
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "not_enrolled"


def test_unusable_numbers_are_skipped_and_logged(env, directory):
    directory.set_attrs(ad_dn(directory, "alice"), mobile=["call me maybe"],
                        otherMobile=["12", "+1 555 555 0119"])
    ldap_config(env, directory)
    login, menu = start(env)
    assert "+X XXXXXXXX17" not in menu["text"]
    assert "1) Text +X XXXXXXXX19 (alternate)" in menu["text"]
    assert finish_with_code(env, login, "1", ALTERNATE) == PAM_SUCCESS
    logs = "\n".join(login.daemon.lines())
    assert re.search(r'directory: mobile of cn=alice,cn=Users,dc=corp,dc=example,dc=test is not a usable phone '
                     r'number \(.*\): "call\?me\?maybe"', logs), logs


def test_phones_none_of_which_is_usable_deny_even_when_unenrolled_is_ignore(env, directory):
    """Not "not enrolled": with unenrolled = ignore that would let the user
    in without a second factor, and a user who may edit their own mobile
    (AD's Personal-Information, FreeIPA's self-service) could do it."""
    directory.set_attrs(ad_dn(directory, "alice"), mobile=["none"], otherMobile=[], telephoneNumber=["ask me"])
    ldap_config(env, directory, extra='login: { unenrolled = "ignore"; };')
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("error", "directory_error")
    assert any("cn=alice,cn=Users,dc=corp,dc=example,dc=test has phone numbers in the directory but none is usable"
               in line for line in login.logs())


def test_national_numbers_take_the_default_country(env, directory):
    directory.set_attrs(ad_dn(directory, "alice"), mobile=["(555) 555-0117"], otherMobile=[],
                        telephoneNumber=[])
    ldap_config(env, directory, extra="login: { default_country_code = 1; };")
    login, menu = start(env)
    assert menu["text"].count(")") >= 2 and "+X XXXXXXXX17" in menu["text"]
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS


def test_two_mobile_values_the_first_usable_one_is_used(env, directory):
    directory.set_attrs(ad_dn(directory, "alice"), mobile=["n/a", "+1 555 555 0117"])
    ldap_config(env, directory)
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS


# -- names that are not what they seem -------------------------------------------------------


@pytest.mark.parametrize("user", ["*", "alice)(uid=*", "alice*", "al\\2aice", "alice)(|(uid=*"])
def test_ldap_injection_in_the_user_name_is_refused(env, directory, user):
    ldap_config(env, directory)
    login = env.login(user=user)
    assert login.finish() != PAM_SUCCESS
    assert login.outcome()["reason"] == "invalid_user"
    assert not env.requests(), "nothing may be sent for such a name"


def test_a_filter_matching_two_entries_denies(env, directory):
    ldap_config(env, directory, filter_="(|(sAMAccountName=%l)(sAMAccountName=user00001))")
    login = env.login()
    assert login.finish() != PAM_SUCCESS
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("error", "directory_error")
    assert any("ldap.filter matches more than one entry for alice" in line for line in login.logs())


def test_user_at_domain_names_from_sssd(env, directory):
    dn = directory.add_user("ad", "dave", mobile="+1 555 555 0117",
                            userPrincipalName="dave@corp.example.test")
    try:
        env.add_user("dave@corp.example.test", 1201)
        ldap_config(env, directory, filter_="(userPrincipalName=%u)")
        login, _ = start(env, user="dave@corp.example.test")
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
        assert login.outcome()["user"] == "dave@corp.example.test"
        # %l drops the domain: only names of directory.domain are taken.
        ldap_config(env, directory, filter_="(sAMAccountName=%l)")
        env.add_user("dave@other.example.test", 1202)
        for name, domain in (("dave@corp.example.test", None), ("dave@other.example.test", "corp.example.test")):
            if domain:
                text = open(env.config_path).read().replace('directory: { backend = "ldap";',
                                                           f'directory: {{ backend = "ldap"; domain = "{domain}";')
                env.set_config(text=text)
            login = env.login(user=name)
            assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE), "another domain's dave must not get these phones"
            assert login.outcome()["reason"] == "directory_error"
        login, _ = start(env, user="dave@corp.example.test")
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
        refused = run_setup(env, "--user", "dave@other.example.test", "add", "alternate", "+44 7700 900123",
                            "--no-verify")
        assert refused.returncode == 3
        assert "dave@other.example.test is not a user of directory.domain corp.example.test" in refused.stderr
    finally:
        directory.delete_user(dn)


# -- the directory down, and TLS ------------------------------------------------------------




def test_directory_down_failmode_secure(env, directory):
    refused = RefusedPort()
    ldap_config(env, directory, uris=[refused.uri])
    login = env.login()
    assert_unavailable(login)
    assert any(line.startswith("phonemfad: phone directory unavailable: ") for line in login.logs())
    assert not env.requests()


def test_directory_down_failmode_safe(env, directory):
    refused = RefusedPort()
    ldap_config(env, directory, uris=[refused.uri], extra='login: { failmode = "safe"; };')
    login = env.login()
    login.finish()
    assert login.module_result() == PAM_IGNORE, "failmode safe never returns PAM_SUCCESS"
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("ignored", "directory_unavailable_failmode_safe")
    assert any("FAILMODE SAFE: phone directory unavailable, user alice passes" in line for line in login.logs())


def test_failover_to_the_next_uri(env, directory):
    refused = RefusedPort()
    ldap_config(env, directory, uris=[refused.uri, directory.ldaps_uri])
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS


def test_a_silent_server_is_given_up_after_the_timeout(env, directory):
    silent = SilentServer()
    try:
        ldap_config(env, directory, uris=[silent.uri, directory.ldaps_uri])
        login, _ = start(env)
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
        ldap_config(env, directory, uris=[silent.uri])
        assert_unavailable(env.login())
    finally:
        silent.stop()


def test_logins_do_not_queue_behind_a_silent_server(env, directory):
    """Each login has a connection of its own: three logins against a
    directory that never answers all reach it at once, instead of each
    waiting for the one before to time out (a queue any user could make
    grow by starting logins)."""
    silent = SilentServer()
    try:
        ldap_config(env, directory, uris=[silent.uri], timeout=20)
        logins = [env.login() for _ in range(3)]
        deadline = time.monotonic() + 10
        while silent.connections < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert silent.connections == 3, f"only {silent.connections} of 3 logins reached the directory at once"
    finally:
        silent.stop()  # the connections close: each login ends at once
    for login in logins:
        assert_unavailable(login)


def test_a_certificate_from_another_ca_is_refused(env, directory):
    ldap_config(env, directory, ca=directory.rogue_ca_file)
    login = env.login()
    assert_unavailable(login)
    ldap_config(env, directory, uris=[directory.ldap_uri], ca=directory.rogue_ca_file)
    assert_unavailable(env.login())


def test_ldap_conf_and_environment_cannot_change_what_is_trusted(env, directory, monkeypatch):
    """LDAPTLS_REQCERT=never, LDAPTLS_CACERT and an LDAPRC file even kept in
    phonemfad's environment (--keep-env): still the configured CA only
    (phonemfad runs with LDAPNOINIT and sets every option on the handle)."""
    rc = env.write("ldaprc", f"TLS_REQCERT never\nTLS_CACERT {directory.ca_file}\n")
    for name, value in (("LDAPTLS_REQCERT", "never"), ("LDAPTLS_CACERT", directory.ca_file), ("LDAPRC", rc)):
        monkeypatch.setenv(name, value)
        env.daemon_args += ["--keep-env", name]
    ldap_config(env, directory, ca=directory.rogue_ca_file)
    assert_unavailable(env.login())


def test_starttls_refused_is_never_plain(env):
    plain = Slapd(scratch_dir("slapd-plain-"), users=1, tls=False).start()
    try:
        ldap_config(env, plain, uris=[plain.ldap_uri])
        login = env.login()
        assert_unavailable(login)
        assert any("StartTLS failed with " + plain.ldap_uri in line for line in login.logs())
    finally:
        plain.stop()


def test_refused_credentials_deny_even_in_failmode_safe(env, directory):
    ldap_config(env, directory, password="wrong-password", extra='login: { failmode = "safe"; };')
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    outcome = login.outcome()
    assert (outcome["outcome"], outcome["reason"]) == ("error", "directory_error")
    assert any("bind refused by " in line and "Invalid credentials (49)" in line for line in login.logs())


def test_dead_kept_connections_are_not_an_outage(env, directory):
    """Review finding: with two kept connections the server has closed
    (a restart, an idle timeout), a login must reconnect, not take the
    second dead one for an outage (which failmode safe would let through)."""
    ldap_config(env, directory, extra='login: { failmode = "safe"; };')
    # Lookups at once: as many connections kept (up to 8).
    run_parallel(8, lambda: env.login().finish())
    directory.restart()
    login, menu = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    assert login.outcome()["reason"] == "approved"


def test_failmode_safe_never_lets_a_locked_out_user_in(env, directory):
    """Review finding: the directory down with failmode safe must not skip
    the lockout a login checks before anything else."""
    refused = RefusedPort()
    ldap_config(env, directory, uris=[refused.uri], extra='login: { failmode = "safe"; };')
    env.write_state("alice", {"version": 1, "locked_until": "2099-01-01T00:00:00Z"})
    login = env.login()
    assert login.finish() == PAM_AUTH_ERR
    assert login.outcome()["reason"] == "locked_out"


def test_a_base_that_does_not_exist_is_an_error_not_an_outage(env, directory):
    ldap_config(env, directory, extra='login: { failmode = "safe"; };', timeout=2)
    text = open(env.config_path).read().replace('base = "', 'base = "cn=nosuch,', 1)
    env.set_config(text=text)
    login = env.login()
    assert login.finish() not in (PAM_SUCCESS, PAM_IGNORE)
    assert login.outcome()["reason"] == "directory_error"


def test_the_directory_back_after_an_outage(env, directory):
    """The daemon keeps its connection: once slapd is back, the next login
    reconnects."""
    ldap_config(env, directory)
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    directory.restart()
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS


# -- the last-known phones while the directory is down (directory.cache_hours) --------------


def cache_config(env, server, hours=2):
    ldap_config(env, server)
    text = open(env.config_path).read().replace(
        'managed_by = "the IT service desk (x4357)"; };',
        f'managed_by = "the IT service desk (x4357)"; cache_hours = {hours}; '
        f'cache_directory = "{env.dir}/cache"; }};')
    env.set_config(text=text)


def test_without_the_cache_a_down_directory_is_an_outage(env, directory):
    ldap_config(env, directory)
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    directory.stop()
    try:
        assert_unavailable(env.login())
        assert not os.path.exists(os.path.join(env.dir, "cache"))
    finally:
        directory.restart()


def test_the_cache_carries_logins_through_an_outage_and_forgets_what_the_directory_removed(env, directory):
    dn = ad_dn(directory, "alice")
    cache_config(env, directory)
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    cached = os.path.join(env.dir, "cache", "alice.json")
    assert os.stat(cached).st_mode & 0o777 == 0o600 and os.stat(os.path.dirname(cached)).st_mode & 0o777 == 0o700
    directory.stop()
    try:
        login, menu = start(env)
        assert "+X XXXXXXXX17" in menu["text"]
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
        assert any(re.search(r"phone directory unavailable: alice's phones as it gave them \d+ minutes ago", line)
                   for line in login.daemon.lines())
    finally:
        directory.restart()
    # The primary phone is taken away in the directory: once it has
    # answered again, the cache never offers it.
    directory.set_attrs(dn, mobile=[])
    login, menu = start(env)
    assert "+X XXXXXXXX17" not in menu["text"]
    assert login.finish() != PAM_SUCCESS
    directory.stop()
    try:
        login, menu = start(env)
        assert "+X XXXXXXXX17" not in menu["text"] and "+X XXXXXXXX19 (alternate)" in menu["text"]
        login.finish()
    finally:
        directory.restart()
    # A user no longer in the directory: no cache left.
    directory.set_attrs(dn, otherMobile=[], telephoneNumber=[])
    assert env.login().finish() == PAM_AUTH_ERR
    assert not os.path.exists(cached)


def test_a_cache_older_than_allowed_is_not_used(env, directory):
    cache_config(env, directory, hours=1)
    login, _ = start(env)
    assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
    cached = os.path.join(env.dir, "cache", "alice.json")
    record = json.load(open(cached))
    for phone in record["phones"].values():
        phone["added_at"] = "2020-01-01T00:00:00Z"
    env.write("cache/alice.json", json.dumps(record), 0o600)
    directory.stop()
    try:
        assert_unavailable(env.login())
    finally:
        directory.restart()


# -- phonemfa-setup with the directory ---------------------------------------------------




def test_enrollment_writes_other_mobile_and_the_next_login_uses_it(env, directory):
    dn = ad_dn(directory, "alice")
    directory.set_attrs(dn, otherMobile=["+1 555 555 0199", "+44 20 7946 0000"])
    ldap_config(env, directory, write=True)
    added = run_setup(env, "--user", "alice", "add", "alternate", "+44 7700 900123", "--no-verify")
    assert added.returncode == 0, added.stdout + added.stderr
    attrs = directory.get_attrs(dn)
    assert attrs["otherMobile"] == ["+447700900123"], "the slot's attribute holds the number written, only"
    login, menu = start(env)
    assert "+XX XXXXXXXX23 (alternate)" in menu["text"]
    assert finish_with_code(env, login, "3", "+447700900123") == PAM_SUCCESS
    listed = run_setup(env, "--user", "alice", "list")
    assert "alice (phones in the LDAP directory (" in listed.stdout
    assert "alternate  +447700900123  text, call" in listed.stdout
    removed = run_setup(env, "--user", "alice", "remove", "alternate", "--yes")
    assert removed.returncode == 0, removed.stderr
    assert "otherMobile" not in directory.get_attrs(dn)
    assert_no_local_record(env)


def test_a_read_only_directory_says_who_manages_phones(env, directory):
    ldap_config(env, directory)
    refused = run_setup(env, "--user", "alice", "add", "alternate", "+44 7700 900123", "--no-verify")
    assert refused.returncode == 3
    assert ("phonemfa-setup: the alternate phone cannot be changed in the LDAP directory (" in refused.stderr and
            "by phonemfa; it is managed by the IT service desk (x4357)" in refused.stderr), refused.stderr
    preferred = run_setup(env, "--user", "alice", "preferred", "primary", "call")
    assert preferred.returncode == 3
    assert "a preferred method is kept only in the local phone store" in preferred.stderr
    language = run_setup(env, "--user", "alice", "language", "de")
    assert language.returncode == 1
    assert "phonemfa-setup: a language is kept only in the local phone store, not in the LDAP directory (" \
        in language.stderr, language.stderr
    users = run_setup(env, "users")
    assert users.returncode == 1 and users.stdout == ""
    assert ("phonemfa-setup: users lists the local phone store only; the phones are in the LDAP directory ("
            in users.stderr and "use the directory's own tools, or --user NAME list" in users.stderr), users.stderr


def test_writes_the_writer_may_not_make_are_refused(env, directory):
    """The writer may change phone attributes only: a slot mapped to
    another attribute is refused by the directory, and nothing changes."""
    dn = ad_dn(directory, "alice")
    before = directory.get_attrs(dn)
    ldap_config(env, directory, write=True, extra_ldap='office = "description";')
    refused = run_setup(env, "--user", "alice", "add", "office", "+1 555 555 0100 x12", "--no-verify")
    assert refused.returncode == 3
    assert "ldap.write_bind_dn may not change the phones of cn=alice" in refused.stderr, refused.stderr
    assert directory.get_attrs(dn) == before


DEDICATED = 'primary = "phonemfaPrimaryPhone"; alternate = "phonemfaAlternatePhone"; office = "phonemfaOfficePhone";'


def test_dedicated_attributes_from_the_shipped_schema(env, directory):
    """conf/ldap/phonemfa-schema.ldif (loaded into slapd as shipped): the
    phones in attributes no self-service rule lets a user change; the
    user's own mobile is then not what the login uses, and enrollment
    writes the dedicated attribute."""
    dn = directory.add_user("ad", "erin", objectClass=["inetOrgPerson", "user", "phonemfaUser"],
                            mobile="+1 555 555 0199", phonemfaPrimaryPhone="+15555550117")
    try:
        env.add_user("erin", 1205)
        ldap_config(env, directory, write=True, extra_ldap=DEDICATED)
        login, menu = start(env, user="erin")
        assert "+X XXXXXXXX17" in menu["text"] and "+X XXXXXXXX99" not in menu["text"]
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
        added = run_setup(env, "--user", "erin", "add", "alternate", "+44 7700 900123", "--no-verify")
        assert added.returncode == 0, added.stderr
        attrs = directory.get_attrs(dn)
        assert attrs["phonemfaAlternatePhone"] == ["+447700900123"] and "otherMobile" not in attrs
    finally:
        directory.delete_user(dn)


def test_details_keep_what_the_local_store_keeps(env, directory):
    """ldap.details: each phone's channels and verification, and the
    preferred method, in the schema's own attributes; phonemfa-setup list
    shows them, preferred is accepted, and a login's Enter picks it."""
    dn = directory.add_user("ad", "erin", objectClass=["inetOrgPerson", "user", "phonemfaUser"],
                            phonemfaPrimaryPhone="+15555550117")
    try:
        env.add_user("erin", 1205)
        ldap_config(env, directory, write=True, extra_ldap=DEDICATED + " details = true;")
        added = run_setup(env, "--user", "erin", "add", "alternate", "+1 555 555 0119", "--no-verify",
                          "--channels", "call")
        assert added.returncode == 0, added.stderr
        preferred = run_setup(env, "--user", "erin", "preferred", "alternate", "call")
        assert preferred.returncode == 0, preferred.stderr
        attrs = directory.get_attrs(dn)
        assert attrs["phonemfaPreferredMethod"] == ["alternate call"]
        assert len(attrs["phonemfaPhoneDetail"]) == 2
        assert any(re.fullmatch(r"slot=alternate channels=call verified_by=none added_by=root added_at=\S+Z", value)
                   for value in attrs["phonemfaPhoneDetail"]), attrs
        listed = run_setup(env, "--user", "erin", "list").stdout
        assert "alternate  +15555550119  call  NOT VERIFIED (added by root on " in listed, listed
        assert "preferred: alternate, call" in listed
        login, menu = start(env, user="erin")
        assert "3) Call +X XXXXXXXX19 (alternate)" in menu["text"] and "Choose 1-3 [3]: " in menu["text"]
        assert "Text +X XXXXXXXX19" not in menu["text"], "the detail's channels: calls only"
        assert finish_with_code(env, login, "", ALTERNATE) == PAM_SUCCESS
        # A detail that does not parse is left out, with a line; the login goes on.
        directory.set_attrs(dn, phonemfaPhoneDetail=["slot=primary channels=fax"], phonemfaPreferredMethod=[])
        login, menu = start(env, user="erin")
        assert "1) Text +X XXXXXXXX17" in menu["text"]
        login.finish()
        assert any("directory: phonemfaPhoneDetail of cn=erin" in line and "left out" in line
                   for line in login.daemon.lines())
    finally:
        directory.delete_user(dn)


def test_check_reports_the_directory(env, directory):
    ldap_config(env, directory)
    good = run_setup(env, "check")
    assert good.returncode == 0, good.stdout + good.stderr
    assert (f"ok       phones in the LDAP directory ({directory.ldaps_uri}): reachable, certificate and "
            "credentials accepted; phonemfa-setup may change no phone (read-only)") in good.stdout
    ldap_config(env, directory, password="wrong")
    bad = run_setup(env, "check")
    assert bad.returncode == 3
    assert "PROBLEM  phone directory: bind refused by" in bad.stdout


# -- the user's language (ldap.language) -------------------------------------------------


def test_the_users_preferred_language_from_the_directory_is_the_locale(env, directory):
    """inetOrgPerson's preferredLanguage (RFC 2798, Accept-Language form):
    the first language is the user's, for the service and the texts."""
    directory.set_attrs(ad_dn(directory, "alice"), preferredLanguage=["pt-br, en;q=0.5"])
    try:
        ldap_config(env, directory, extra_ldap='language = "preferredLanguage";',
                    extra='login: { locale = "de"; };')
        login, menu = start(env)
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
        assert env.requests("start")[0]["body"]["locale"] == "pt-BR"
    finally:
        directory.set_attrs(ad_dn(directory, "alice"), preferredLanguage=[])


def test_a_preferred_language_that_is_no_language_is_logged_and_the_default_used(env, directory):
    directory.set_attrs(ad_dn(directory, "alice"), preferredLanguage=["*;q=0.1\u001b[2J"])
    try:
        ldap_config(env, directory, extra_ldap='language = "preferredLanguage";',
                    extra='login: { locale = "de"; };')
        login, menu = start(env)
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
        assert env.requests("start")[0]["body"]["locale"] == "de"
        logs = "\n".join(login.daemon.lines())
        assert re.search(r'directory: preferredLanguage of cn=alice,cn=Users,dc=corp,dc=example,dc=test left out '
                         r'\(not a language\): "\*;q\?0\.1\?\[2J"', logs), logs
    finally:
        directory.set_attrs(ad_dn(directory, "alice"), preferredLanguage=[])


def test_without_ldap_language_the_attribute_is_not_read(env, directory):
    directory.set_attrs(ad_dn(directory, "alice"), preferredLanguage=["ja"])
    try:
        ldap_config(env, directory)
        login, menu = start(env)
        assert finish_with_code(env, login, "1", PRIMARY) == PAM_SUCCESS
        assert "locale" not in env.requests("start")[0]["body"]
    finally:
        directory.set_attrs(ad_dn(directory, "alice"), preferredLanguage=[])
