"""A private OpenLDAP server for the LDAP phone-directory tests: an AD-like
and a FreeIPA-like user tree, a read-only and a phone-writing service
account, ldaps:// and StartTLS with the test CA from pki.py. Everything
lives in the fixture's own directory and listens on 127.0.0.1 only.

    d = Slapd(directory, users=100).start()
    ... d.ldap_uri, d.ldaps_uri, d.ca_file, d.reader_dn, d.add_user("ad", "alice", mobile=[...])
    d.stop()

Also here: SilentServer (accepts TCP, never answers), RefusedPort (nothing
listens), and ldap_tool(), the one way to run ldap-utils immune to the
host's ldap.conf and to the environment.

Measured facts behind the choices (slapadd -q, 127.0.0.1 rather than
localhost, the AD test schema): /work/shared/notes/ldap-and-entra-testing.md.
"""
import atexit
import base64
import os
import pathlib
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import weakref

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pki import make_client_cert, make_pki  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Written by whoever adds the module's own attributes; loaded when present.
PHONEMFA_SCHEMA = ROOT / "conf" / "ldap" / "phonemfa-schema.ldif"

SUFFIX = "dc=example,dc=test"
AD_BASE = "cn=Users,dc=corp,dc=example,dc=test"
AD_REALM = "corp.example.test"
IPA_BASE = "cn=users,cn=accounts,dc=ipa,dc=example,dc=test"
SERVICES = "ou=services,dc=example,dc=test"
PHONE_ATTRS = ("otherMobile", "telephoneNumber", "mobile", "otherTelephone")
MAX_BULK = 100_000  # bulk names and numbers have five digits

# The attributes AD has and OpenLDAP's shipped schemas lack (Debian's
# msuser.ldif has no EQUALITY rules), and an auxiliary class named as AD's
# "user", so a filter written for AD ((objectClass=user)) finds these users
# as shipped; its OID sits under OpenLDAP's experimental arc: tests only.
AD_TEST_SCHEMA = """dn: cn=adtest,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adtest
olcAttributeTypes: ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.647 NAME 'otherMobile' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
olcAttributeTypes: ( 1.2.840.113556.1.2.18 NAME 'otherTelephone' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
olcAttributeTypes: ( 1.2.840.113556.1.4.721 NAME 'ipPhone' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.1 NAME 'user' SUP top AUXILIARY MAY ( sAMAccountName $ userPrincipalName $ otherMobile $ otherTelephone $ ipPhone ) )
"""

# A clean environment for every OpenLDAP program run here. LDAPNOINIT=1 makes
# libldap skip /etc/ldap/ldap.conf, ~/.ldaprc, ./ldaprc, $LDAPCONF, $LDAPRC
# and all LDAP* variables. It disables LDAPTLS_CACERT/LDAPTLS_REQCERT too
# (checked: ldaps with LDAPTLS_CACERT set then fails), so ldap_tool passes
# the CA as "-o TLS_CACERT=..." ("-o" takes any ldap.conf option).
CLEAN_ENV = {"LDAPNOINIT": "1", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def ldap_tool(tool, *args, ca_file=None, input=None, timeout=30):
    """Runs an ldap-utils program (ldapsearch, ldapmodify, ldapwhoami, ...)
    with nothing from the host's configuration: pass -H, -x, -D/-w, -b
    explicitly. With ca_file, TLS (ldaps:// or -ZZ) trusts exactly that CA
    and demands a valid certificate. Returns the CompletedProcess (text)."""
    tls = ["-o", f"TLS_CACERT={ca_file}", "-o", "TLS_REQCERT=demand"] if ca_file else []
    return subprocess.run([tool, *tls, *args], env=CLEAN_ENV, input=input, text=True,
                          capture_output=True, timeout=timeout)


def bulk_user(layout, index):
    """(name, mobile) of preloaded user number `index`: user00042 has
    "+1 555 0100042" in the AD tree and "+1 555 0200042" in the FreeIPA one,
    so a test can tell which tree answered. Both are E.164 without spaces."""
    prefix = {"ad": "01", "ipa": "02"}[layout]
    return f"user{index:05d}", f"+1 555 {prefix}{index:05d}"


def _user_entry(layout, name, attrs):
    """(dn, {attr: [values]}) of a user as the layout shapes it; attrs with
    an empty list are left out."""
    if layout == "ad":
        dn = f"cn={_rdn_value(name)},{AD_BASE}"
        entry = {"objectClass": ["inetOrgPerson", "user"], "cn": [name], "sn": [name],
                 "uid": [name], "sAMAccountName": [name],
                 "userPrincipalName": [f"{name}@{AD_REALM}"]}
    elif layout == "ipa":
        dn = f"uid={_rdn_value(name)},{IPA_BASE}"
        entry = {"objectClass": ["inetOrgPerson"], "uid": [name], "cn": [name], "sn": [name]}
    else:
        raise ValueError(f"layout must be 'ad' or 'ipa', not {layout!r}")
    entry.update(attrs)
    return dn, {k: v for k, v in entry.items() if v}


def _rdn_value(value):
    """Escapes a value for use in a DN (RFC 4514), so odd test names
    ("a,b", " x") stay one RDN."""
    escaped = re.sub(r'([\\,+"<>;=])', r"\\\1", value).replace("\0", r"\00")
    if escaped[:1] in (" ", "#"):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def _ldif_line(attr, value):
    """One LDIF line; base64 when RFC 2849 does not allow the value as is."""
    safe = (value and value.isascii() and value[0] not in " :<" and not value.endswith(" ")
            and not any(c in value for c in "\0\n\r"))
    if safe:
        return f"{attr}: {value}"
    return f"{attr}:: {base64.b64encode(value.encode()).decode()}"


def _ldif_entry(dn, attrs):
    lines = [_ldif_line("dn", dn)]
    lines += [_ldif_line(attr, v) for attr, values in attrs.items() for v in values]
    return "\n".join(lines) + "\n\n"


def _values(value):
    return [value] if isinstance(value, str) else list(value)


def _parse_ldif(text):
    """{attr: [values]} of the first entry in ldapsearch -LLL -o ldif_wrap=no output."""
    attrs = {}
    for line in text.split("\n\n")[0].splitlines():
        attr, sep, value = line.partition(":")
        if not sep or attr == "dn":
            continue
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode()
        else:
            value = value[1:] if value.startswith(" ") else value
        attrs.setdefault(attr, []).append(value)
    return attrs


def schema_attribute_names(path):
    """NAMEs of the attribute types an olcSchemaConfig LDIF defines."""
    text = re.sub(r"\n ", "", pathlib.Path(path).read_text())  # unwrap continuation lines
    names = []
    for match in re.finditer(r"^olcAttributeTypes:(:?)\s*(.*)$", text, re.M | re.I):
        definition = base64.b64decode(match[2]).decode() if match[1] else match[2]
        name = re.search(r"\bNAME\s+(?:'([^']+)'|\(([^)]*)\))", definition)
        if name:
            names += [name[1]] if name[1] else re.findall(r"'([^']+)'", name[2])
    return names


def _free_ports(count):
    """Distinct loopback ports free right now (all held open together so
    they differ). Someone may take one before slapd binds: Slapd retries."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Slapd:
    """A private slapd: an AD-like tree (cn=<name>,cn=Users,...) and a
    FreeIPA-like one (uid=<name>,cn=users,cn=accounts,...), `users`
    preloaded users in each. tls=False: no ldaps listener and StartTLS
    refused. slapd's default size limit (500 entries) applies to all but root."""

    def __init__(self, directory, users=100, pki=None, tls=True):
        if not 0 <= users <= MAX_BULK:
            raise ValueError(f"users must be 0..{MAX_BULK}")
        self.directory = os.path.abspath(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.users = users
        self.tls = tls
        self._pki = pki = pki or make_pki(os.path.join(self.directory, "pki"))
        self.ca_file = pki["ca"]
        # make_pki does not return the rogue CA's path; it writes it next to
        # the certificate that CA signed.
        self.rogue_ca_file = os.path.join(os.path.dirname(pki["rogue_cert"]), "rogue-ca.pem")
        self.ad_base = AD_BASE
        self.ipa_base = IPA_BASE
        self.root_dn = f"cn=admin,{SUFFIX}"
        self.reader_dn = f"cn=phonemfa-reader,{SERVICES}"
        self.writer_dn = f"cn=phonemfa-writer,{SERVICES}"
        self.root_password = secrets.token_urlsafe(12)
        self.reader_password = secrets.token_urlsafe(12)
        self.writer_password = secrets.token_urlsafe(12)
        self.writable_attrs = PHONE_ATTRS + tuple(
            schema_attribute_names(PHONEMFA_SCHEMA) if PHONEMFA_SCHEMA.exists() else ())
        self.log_file = os.path.join(self.directory, "slapd.log")
        self.ldap_uri = self.ldaps_uri = None
        self._config_dir = os.path.join(self.directory, "slapd.d")
        self._db_dir = os.path.join(self.directory, "db")
        self._proc = None

    @property
    def pid(self):
        return self._proc.pid if self._proc else None

    # -- lifecycle -----------------------------------------------------------

    def start(self):
        """Builds the configuration, loads the users offline, then runs slapd
        on fresh free ports (new ones if it lost a race for them)."""
        self._build()
        atexit.register(self.stop)  # no slapd outlives a test run that forgot stop()
        for _ in range(5):
            ports = _free_ports(2 if self.tls else 1)
            self.ldap_uri = f"ldap://127.0.0.1:{ports[0]}"
            self.ldaps_uri = f"ldaps://127.0.0.1:{ports[1]}" if self.tls else None
            if self._run():
                return self
        raise RuntimeError(f"slapd found no free port in 5 tries: see {self.log_file}")

    def restart(self):
        """Stops and starts again with the same data and the same URIs."""
        self.stop()
        if not self._run():
            raise RuntimeError(f"slapd's ports were taken while it was down: see {self.log_file}")
        return self

    def stop(self):
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()  # slapd shuts down cleanly on SIGTERM, in well under a second
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _run(self):
        """Starts slapd on the URIs set; True once it answers our root bind
        (so not some other server that took the port), False if it exited
        because a port was in use."""
        urls = " ".join(u + "/" for u in (self.ldap_uri, self.ldaps_uri) if u)
        log_start = os.path.getsize(self.log_file) if os.path.exists(self.log_file) else 0
        with open(self.log_file, "a") as log:
            self._proc = subprocess.Popen(
                ["slapd", "-d", "0", "-F", self._config_dir, "-h", urls],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=CLEAN_ENV)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                rc, self._proc = self._proc.returncode, None
                with open(self.log_file) as log:
                    log.seek(log_start)
                    output = log.read()
                if "Address already in use" in output:
                    return False
                raise RuntimeError(f"slapd exited with {rc}:\n{output}")
            if self._as_root("ldapwhoami", "-o", "nettimeout=1").returncode == 0:
                return True
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"slapd did not answer within 10 s: see {self.log_file}")

    # -- configuration and initial data --------------------------------------

    def _build(self):
        for path in (self._config_dir, self._db_dir):
            shutil.rmtree(path, ignore_errors=True)
            os.makedirs(path)
        config = os.path.join(self.directory, "config.ldif")
        data = os.path.join(self.directory, "data.ldif")
        with open(os.path.join(self.directory, "adtest.ldif"), "w") as f:
            f.write(AD_TEST_SCHEMA)
        with open(config, "w") as f:
            f.write(self._config_ldif())
        with open(data, "w") as f:
            f.write(self._data_ldif())
        self._offline("slapadd", "-n0", "-F", self._config_dir, "-l", config)
        # -q: 20,000 entries load in a fraction of a second instead of seconds.
        self._offline("slapadd", "-q", "-n1", "-F", self._config_dir, "-l", data)

    def _offline(self, *argv):
        result = subprocess.run(argv, env=CLEAN_ENV, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")

    def _config_ldif(self):
        tls = ""
        if self.tls:  # without these, slapd refuses StartTLS
            # A client certificate is asked for (not required); SASL
            # EXTERNAL with one for CN=phonemfa-client binds as the reader.
            tls = (f"olcTLSCACertificateFile: {self.ca_file}\n"
                   f"olcTLSCertificateFile: {self._pki['cert']}\n"
                   f"olcTLSCertificateKeyFile: {self._pki['key']}\n"
                   "olcTLSVerifyClient: try\n"
                   f'olcAuthzRegexp: {{0}}"^cn=phonemfa-client$" "{self.reader_dn}"\n')
        schemas = ["/etc/ldap/schema/core.ldif", "/etc/ldap/schema/cosine.ldif",
                   "/etc/ldap/schema/inetorgperson.ldif", os.path.join(self.directory, "adtest.ldif")]
        if PHONEMFA_SCHEMA.exists():
            schemas.append(str(PHONEMFA_SCHEMA))
        includes = "".join(f"include: {pathlib.Path(s).as_uri()}\n" for s in schemas)
        access = "".join(f"olcAccess: {{{i}}}{rule}\n" for i, rule in enumerate(self._acl()))
        return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {self.directory}/slapd.pid
olcArgsFile: {self.directory}/slapd.args
{tls}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{includes}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcRootDN: {self.root_dn}
olcRootPW: {self.root_password}
olcDbDirectory: {self._db_dir}
olcDbMaxSize: 1073741824
olcDbIndex: objectClass eq
olcDbIndex: uid,sAMAccountName,userPrincipalName eq
{access}"""

    def _acl(self):
        """First match wins. The root DN bypasses all of them; the root DSE
        and cn=Subschema stay readable, as on any directory."""
        reader, writer = f'dn.exact="{self.reader_dn}"', f'dn.exact="{self.writer_dn}"'
        phones = ",".join(self.writable_attrs)
        rules = ["to attrs=userPassword by anonymous auth by * none"]
        for base in (AD_BASE, IPA_BASE):
            rules.append(f'to dn.children="{base}" attrs={phones}'
                         f' by {writer} write by {reader} read by * none')
        for base in (AD_BASE, IPA_BASE):
            rules.append(f'to dn.subtree="{base}" by {writer} read by {reader} read by * none')
        rules.append("to * by * none")
        return rules

    def _data_ldif(self):
        def container(dn, object_class, attr):
            return _ldif_entry(dn, {"objectClass": [object_class], attr: [dn.split(",")[0].split("=")[1]]})

        def service(dn, password):
            return _ldif_entry(dn, {"objectClass": ["organizationalRole", "simpleSecurityObject"],
                                    "cn": [dn.split(",")[0][3:]], "userPassword": [password]})

        parts = [container(SUFFIX, "domain", "dc"),
                 container(SERVICES, "organizationalUnit", "ou"),
                 service(self.reader_dn, self.reader_password),
                 service(self.writer_dn, self.writer_password),
                 container("dc=corp,dc=example,dc=test", "domain", "dc"),
                 container(AD_BASE, "organizationalRole", "cn"),
                 container("dc=ipa,dc=example,dc=test", "domain", "dc"),
                 container("cn=accounts,dc=ipa,dc=example,dc=test", "organizationalRole", "cn"),
                 container(IPA_BASE, "organizationalRole", "cn")]
        for layout in ("ad", "ipa"):
            for i in range(self.users):
                name, mobile = bulk_user(layout, i)
                parts.append(_ldif_entry(*_user_entry(layout, name, {"mobile": [mobile]})))
        return "".join(parts)

    # -- per-test changes, as root -------------------------------------------

    def _as_root(self, tool, *args, input=None):
        return ldap_tool(tool, "-x", "-H", self.ldap_uri, "-D", self.root_dn,
                         "-w", self.root_password, *args, input=input)

    def _modify(self, ldif, *options):
        result = self._as_root("ldapmodify", *options, input=ldif)
        if result.returncode != 0:
            raise RuntimeError(f"ldapmodify failed ({result.returncode}): {result.stderr}")

    def client_cert(self):
        """(cert, key) of CN=phonemfa-client, signed by the test CA: SASL
        EXTERNAL with it binds as the reader."""
        return make_client_cert(os.path.dirname(self.ca_file), "phonemfa-client")

    def add_user(self, layout, name, **attrs):
        """Adds a user to the "ad" or "ipa" tree; attrs add to or replace the
        defaults (a string or a list of values). Returns its DN."""
        dn, entry = _user_entry(layout, name, {k: _values(v) for k, v in attrs.items()})
        self._modify(_ldif_entry(dn, entry), "-a")
        return dn

    def set_attrs(self, dn, **attrs):
        """Replaces each attribute's values; an empty list deletes it."""
        lines = [_ldif_line("dn", dn), "changetype: modify"]
        for attr, value in attrs.items():
            lines += [f"replace: {attr}", *(_ldif_line(attr, v) for v in _values(value)), "-"]
        self._modify("\n".join(lines) + "\n")

    def get_attrs(self, dn):
        """{attr: [values]} of the entry's user attributes; {} if there is no such entry."""
        result = self._as_root("ldapsearch", "-LLL", "-o", "ldif_wrap=no",
                               "-b", dn, "-s", "base", "(objectClass=*)", "*")
        if result.returncode == 32:  # noSuchObject
            return {}
        if result.returncode != 0:
            raise RuntimeError(f"ldapsearch failed ({result.returncode}): {result.stderr}")
        return _parse_ldif(result.stdout)

    def delete_user(self, dn):
        result = self._as_root("ldapdelete", dn)
        if result.returncode != 0:
            raise RuntimeError(f"ldapdelete failed ({result.returncode}): {result.stderr}")


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte: the
    directory that hangs. `uri` is ldaps://, `ldap_uri` ldap://, same port."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # lets the accept loop notice stop()
        port = self._listener.getsockname()[1]
        self.uri = f"ldaps://127.0.0.1:{port}"
        self.ldap_uri = f"ldap://127.0.0.1:{port}"
        self._held = []  # accepted connections, kept open and unread
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def connections(self):
        """How many connections it has accepted so far."""
        return len(self._held)

    def _accept(self):
        while not self._stopping.is_set():
            try:
                self._held.append(self._listener.accept()[0])
            except TimeoutError:
                continue

    def stop(self):
        self._stopping.set()
        self._thread.join()
        self._listener.close()
        for conn in self._held:
            conn.close()


class RefusedPort:
    """A loopback port nothing listens on: connecting gets "connection
    refused" at once. The port stays bound (without listen) until stop(),
    so nobody else can start listening on it meanwhile."""

    def __init__(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.uri = f"ldaps://127.0.0.1:{port}"
        self.ldap_uri = f"ldap://127.0.0.1:{port}"
        # Closed by stop() or, for a caller that never calls it, when this
        # object goes away (no ResourceWarning).
        self.stop = weakref.finalize(self, sock.close)
