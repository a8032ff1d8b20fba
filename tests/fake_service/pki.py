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
