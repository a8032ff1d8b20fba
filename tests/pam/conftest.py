import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fake_service"))

from harness import MODULE, PAMCLIENT, Environment  # noqa: E402
from phonenet import PhoneNetworkService  # noqa: E402
from scratch import scratch_dir  # noqa: E402
from twilio_fake import TwilioService  # noqa: E402


def start_service(kind):
    for path in (MODULE, PAMCLIENT):
        if not os.path.exists(path):
            pytest.fail(f"{path} is missing: run make test-programs first")
    if os.geteuid() != 0:
        pytest.fail("the PAM-level tests need root: config and store must be root-owned")
    return kind(scratch_dir("phonenet-")).start()


@pytest.fixture(scope="session")
def phonenet():
    service = start_service(PhoneNetworkService)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def twilio_service():
    service = start_service(TwilioService)
    yield service
    service.stop()


@pytest.fixture
def twilio_env(twilio_service):
    """An environment whose module talks to the Twilio fake. Any request
    that Twilio's spec would reject fails the test."""
    twilio_service.reset()
    environment = Environment(twilio_service)
    yield environment
    environment.cleanup()
    violations = list(twilio_service.twilio.violations)
    assert not violations, f"the module sent requests Twilio's spec rejects: {violations}"


@pytest.fixture
def env(phonenet):
    phonenet.network.reset()
    environment = Environment(phonenet)
    yield environment
    environment.cleanup()
