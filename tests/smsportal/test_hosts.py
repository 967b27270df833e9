"""One answer to "is this host the machine itself", for the demo's accounts, the
HTTP-with-secure-cookies page and the callback address check alike."""

import pytest

from smsportal.lib.hosts import is_loopback_host


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("LocalHost", True), ("app.localhost", True),
     ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("10.0.0.5", False), ("sms.example.ru", False),
     ("localhost.example.ru", False), ("", False)],
)  # fmt: skip
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback
