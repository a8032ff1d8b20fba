"""Scratch directories for the fakes (test CA and keys, slapd's database,
logs): made private under the system temporary directory and removed when
the test process exits, so a run leaves nothing behind on the host, not
even a throwaway CA key."""
import atexit
import shutil
import tempfile


def scratch_dir(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
