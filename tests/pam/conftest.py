import os
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fake_service"))

from harness import MODULE, PAMCLIENT, Environment  # noqa: E402
from phonenet import PhoneNetworkService  # noqa: E402


@pytest.fixture(scope="session")
def phonenet():
    for path in (MODULE, PAMCLIENT):
        if not os.path.exists(path):
            pytest.fail(f"{path} is missing: run make test-programs first")
    if os.geteuid() != 0:
        pytest.fail("the PAM-level tests need root: config and store must be root-owned")
    directory = tempfile.mkdtemp(prefix="phonenet-")
    service = PhoneNetworkService(directory).start()
    yield service
    service.stop()


@pytest.fixture
def env(phonenet):
    phonenet.network.reset()
    environment = Environment(phonenet)
    yield environment
    environment.cleanup()
