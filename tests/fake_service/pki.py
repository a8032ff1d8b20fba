"""Test certificates made at test time with the openssl command: a test CA
and a server certificate for 127.0.0.1/localhost, plus a second, untrusted
CA and server certificate for "wrong certificate" faults."""
import os
import subprocess

SERVER_EXT = """basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
"""


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _make_ca(directory, name):
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", f"{name}-ca.key", "-out", f"{name}-ca.pem",
             "-days", "2", "-subj", f"/CN=phonemfa {name} test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)


def _make_server(directory, name):
    with open(os.path.join(directory, "server.ext"), "w") as ext:
        ext.write(SERVER_EXT)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}-server.key", "-out", f"{name}-server.csr",
             "-subj", "/CN=127.0.0.1", cwd=directory)
    _openssl("x509", "-req", "-in", f"{name}-server.csr", "-CA", f"{name}-ca.pem",
             "-CAkey", f"{name}-ca.key", "-CAcreateserial", "-days", "2",
             "-extfile", "server.ext", "-out", f"{name}-server.pem", cwd=directory)


def make_client_cert(directory, common_name):
    """A client certificate (and key) for CN=common_name, signed by the test
    CA of make_pki(directory): (cert path, key path)."""
    ext = os.path.join(directory, "client.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n")
    name = f"client-{common_name}"
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={common_name}", cwd=directory)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "test-ca.pem", "-CAkey", "test-ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "client.ext", "-out", f"{name}.pem", cwd=directory)
    os.chmod(os.path.join(directory, f"{name}.key"), 0o600)
    return os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")


def make_pki(directory):
    """Returns paths: ca (trusted by the module), cert/key (the service's),
    rogue_cert/rogue_key (signed by a CA the module does not trust)."""
    os.makedirs(directory, exist_ok=True)
    for name in ("test", "rogue"):
        _make_ca(directory, name)
        _make_server(directory, name)
    join = lambda f: os.path.join(directory, f)
    return {
        "ca": join("test-ca.pem"),
        "cert": join("test-server.pem"), "key": join("test-server.key"),
        "rogue_cert": join("rogue-server.pem"), "rogue_key": join("rogue-server.key"),
    }


# -- certificates for the TLS fault matrix ------------------------------------
# Each is one way a server certificate must be refused: made on first use
# (make_fault_certs), so services that never inject TLS faults pay nothing.
CA_CONFIG = """[ ca ]
default_ca = test_ca
[ test_ca ]
database = fault-index.txt
new_certs_dir = .
serial = fault-serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
[ any_name ]
commonName = supplied
"""
WRONG_HOST_EXT = SERVER_EXT.replace("subjectAltName=IP:127.0.0.1,DNS:localhost",
                                    "subjectAltName=DNS:phonemfa.invalid")
CLIENT_ONLY_EXT = SERVER_EXT.replace("extendedKeyUsage=serverAuth", "extendedKeyUsage=clientAuth")


def _stamp(days):
    import datetime
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return moment.strftime("%Y%m%d%H%M%SZ")


def _sign_with_dates(directory, name, start_days, end_days, ext=SERVER_EXT, key="ec"):
    """A server certificate from the trusted test CA, valid from now +
    start_days to now + end_days (negative: in the past)."""
    with open(os.path.join(directory, f"{name}.ext"), "w") as f:
        f.write(ext)
    keyopts = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if key == "ec"
               else ["-newkey", "rsa:1024"])
    _openssl("req", *keyopts, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", "/CN=127.0.0.1", cwd=directory)
    _openssl("ca", "-batch", "-notext", "-config", "fault-ca.cnf", "-cert", "test-ca.pem",
             "-keyfile", "test-ca.key", "-in", f"{name}.csr", "-out", f"{name}.pem",
             "-startdate", _stamp(start_days), "-enddate", _stamp(end_days),
             "-extfile", f"{name}.ext", cwd=directory)


def make_fault_certs(directory):
    """Returns {name: (cert, key)} for: expired, not_yet_valid, wrong_host
    (a name other than 127.0.0.1), self_signed (for 127.0.0.1, signed by
    itself), unknown_ca (the rogue CA's), client_only (extendedKeyUsage
    clientAuth), weak_rsa (an RSA 1024 key, below OpenSSL's security level 2)."""
    done = os.path.join(directory, "fault-certs.done")
    join = lambda f: os.path.join(directory, f)
    names = ["expired", "not_yet_valid", "wrong_host", "client_only", "weak_rsa", "self_signed"]
    if not os.path.exists(done):
        with open(join("fault-ca.cnf"), "w") as f:
            f.write(CA_CONFIG)
        open(join("fault-index.txt"), "w").close()
        with open(join("fault-serial"), "w") as f:
            f.write("1000\n")
        _sign_with_dates(directory, "expired", -10, -5)
        _sign_with_dates(directory, "not_yet_valid", 5, 10)
        _sign_with_dates(directory, "wrong_host", -1, 2, ext=WRONG_HOST_EXT)
        _sign_with_dates(directory, "client_only", -1, 2, ext=CLIENT_ONLY_EXT)
        _sign_with_dates(directory, "weak_rsa", -1, 2, key="rsa")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", "self_signed.key", "-out", "self_signed.pem", "-days", "2",
                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                 "-addext", "extendedKeyUsage=serverAuth", cwd=directory)
        open(done, "w").close()
    certs = {name: (join(f"{name}.pem"), join(f"{name}.key")) for name in names}
    certs["unknown_ca"] = (join("rogue-server.pem"), join("rogue-server.key"))
    return certs
