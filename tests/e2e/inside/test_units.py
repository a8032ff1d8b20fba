"""The systemd units in conf/systemd, installed verbatim the way
`make install` puts them, checked by systemd's own verifier (no systemd runs
in the sandbox: socket activation and readiness are tested against phonemfad
at PAM level, tests/pam/test_daemon.py)."""
import os
import shutil
import subprocess

from system import CONF


def test_units_install_verbatim_and_pass_systemd_analyze_verify(system):
    assert os.access("/usr/local/sbin/phonemfad", os.X_OK)
    os.makedirs("/etc/systemd/system", exist_ok=True)
    for unit in ("phonemfad.socket", "phonemfad.service"):
        shutil.copyfile(os.path.join(CONF, "systemd", unit), f"/etc/systemd/system/{unit}")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", "/etc/systemd/system/phonemfad.socket",
                             "/etc/systemd/system/phonemfad.service"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "" and result.stderr.strip() == "", \
        result.stdout + result.stderr
    service = open("/etc/systemd/system/phonemfad.service").read()
    assert "ExecStart=/usr/local/sbin/phonemfad\n" in service, "the unit names where make install puts phonemfad"
    assert "ListenStream=/run/phonemfa/phonemfad.sock" in open("/etc/systemd/system/phonemfad.socket").read()
