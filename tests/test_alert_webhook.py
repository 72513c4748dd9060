"""Alert webhooks in-process (CONTRACT-2 §4.9): what the policy refuses never opens a connection;
what it allows connects to the checked address only, with TLS for the real host.

The resolver, the connector and the TLS trust are injected here so a checked delivery can reach
a local listener; production passes none of them and no setting relaxes a check.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.alerts.webhook import (
    Target,
    WebhookPolicy,
    WebhookRejected,
    check_url,
    deliver,
    is_public_address,
    slack_text,
)
from tests.listener import Listener, listen

SLACK = "hooks.slack.com"
POLICY = WebhookPolicy(allowed_hosts=frozenset({SLACK, "alerts.example.com"}), timeout_s=2.0)
PUBLIC = "52.1.2.3"
NOT_ALLOWED = "host not on ALERT_WEBHOOK_ALLOWED_HOSTS"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (None, "no webhook URL"),
        ("", "no webhook URL"),
        ("http://hooks.slack.com/services/T/B/X", "scheme is not https"),
        ("ftp://hooks.slack.com/services/T/B/X", "scheme is not https"),
        ("https://u:p@hooks.slack.com/services/T/B/X", "URL holds user information"),
        ("https://hooks.slack.com:8443/services/T/B/X", "port is not 443"),
        ("https://hooks.slack.com:99999/services/T/B/X", "invalid port"),
        (
            "https://hooks.slack.com.evil.test/services/T/B/X",
            "host not on ALERT_WEBHOOK_ALLOWED_HOSTS",
        ),
        ("https://evil.test/services/T/B/X", NOT_ALLOWED),
        ("https://slack.com/services/T/B/X", NOT_ALLOWED),
        ("https://127.0.0.1/services/T/B/X", NOT_ALLOWED),
        ("https://[::1]/services/T/B/X", "invalid host"),
        ("https://169.254.169.254/latest/meta-data", NOT_ALLOWED),
        ("https://hooks.slack.com/api/chat.postMessage", "not a Slack incoming-webhook path"),
        ("https://hooks.slack.com/services/T/B/X\r\nHost: evil", "URL holds spaces or control"),
        ("https://hooks.slack.com/services/T/B/X Y", "URL holds spaces or control"),
        ("https://hooks.slack.com/services/T/B/%0d%0a\\x", "invalid path"),
        ("https://" + "a" * 3000, "URL too long"),
    ],
)
def test_a_url_the_policy_refuses_is_rejected_with_a_reason_that_never_holds_the_url(url, reason):
    with pytest.raises(WebhookRejected) as caught:
        check_url(url, POLICY)
    assert caught.value.reason.startswith(reason)
    assert "/services/" not in caught.value.reason


def test_an_allowed_url_keeps_its_exact_host_and_request_target():
    target = check_url("https://Hooks.Slack.COM./services/T1/B2/abc?x=1#frag", POLICY)
    assert target == Target(host=SLACK, request_target="/services/T1/B2/abc?x=1")
    assert check_url("https://alerts.example.com:443/hook", POLICY).request_target == "/hook"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.8",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:c0a8:101::1",
        "not-an-address",
    ],
)
def test_non_public_addresses_are_not_public(address):
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", ["52.1.2.3", "8.8.8.8", "2606:4700:4700::1111"])
def test_global_unicast_addresses_are_public(address):
    assert is_public_address(address) is True


@pytest.fixture
def recorder() -> Iterator[Listener]:
    listener = listen("127.0.0.1")
    yield listener
    listener.close()


def _to(listener: Listener, calls: list[tuple[str, int]]):
    """A connector that records the checked address and connects to the listener instead."""

    def connect(address: str, port: int, timeout_s: float) -> socket.socket:
        calls.append((address, port))
        return socket.create_connection((listener.address, listener.port), timeout=timeout_s)

    return connect


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["10.1.2.3"], ["169.254.169.254"], ["::ffff:127.0.0.1"], [PUBLIC, "10.0.0.1"]],
)
def test_a_host_resolving_to_any_non_public_address_is_refused_without_a_connection(
    recorder, addresses
):
    calls: list[tuple[str, int]] = []
    outcome = deliver(
        Target(SLACK, "/services/T/B/X"),
        "hello",
        POLICY,
        resolver=lambda host, port: addresses,
        connector=_to(recorder, calls),
    )
    assert outcome == "rejected:non-public address"
    time.sleep(0.3)  # a connection, had one been opened, would be recorded by now
    assert calls == [] and recorder.connections == []


def test_a_lookup_that_fails_or_hangs_fails_the_delivery_within_the_deadline(recorder):
    calls: list[tuple[str, int]] = []

    def broken(host: str, port: int) -> list[str]:
        raise socket.gaierror("no such host")

    def hangs(host: str, port: int) -> list[str]:
        time.sleep(5)
        return [PUBLIC]

    target = Target(SLACK, "/services/T/B/X")
    quick = WebhookPolicy(POLICY.allowed_hosts, timeout_s=0.5)
    assert deliver(target, "x", quick, resolver=broken, connector=_to(recorder, calls)) == (
        "failed:dns_error"
    )
    started = time.monotonic()
    assert deliver(target, "x", quick, resolver=hangs, connector=_to(recorder, calls)) == (
        "failed:dns_timeout"
    )
    assert time.monotonic() - started < 2
    assert calls == [] and recorder.connections == []


# --- allowed deliveries: a TLS listener that trusts a certificate made for the test ---------


def _certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for a certificate of hooks.slack.com."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SLACK)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SLACK)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


def test_an_allowed_delivery_connects_once_to_the_checked_address_with_the_real_host(tmp_path):
    server, client = _certificate(tmp_path)
    listener = listen("127.0.0.1", tls=server)
    calls: list[tuple[str, int]] = []
    try:
        outcome = deliver(
            check_url("https://hooks.slack.com/services/T1/B2/secret", POLICY),
            "Runway <b>short</b> & falling",
            POLICY,
            resolver=lambda host, port: [PUBLIC],
            connector=_to(listener, calls),
            tls=client,
        )
        deadline = time.monotonic() + 5
        while not listener.connections or not listener.connections[0].received:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        listener.close()
    assert outcome == "sent"
    assert calls == [(PUBLIC, 443)]  # the checked address, no second lookup
    assert len(listener.connections) == 1
    seen = listener.connections[0]
    assert seen.sni == SLACK
    head, _, body = seen.received.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /services/T1/B2/secret HTTP/1.1\r\nHost: hooks.slack.com\r\n")
    assert json.loads(body) == {"text": "Runway &lt;b&gt;short&lt;/b&gt; &amp; falling"}


@pytest.mark.parametrize(
    ("response", "outcome"),
    [
        (b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\n\r\n", "failed:redirect_302"),
        (b"HTTP/1.1 500 Internal Server Error\r\n\r\n", "failed:http_500"),
        (b"garbage", "failed:bad_response"),
    ],
)
def test_a_redirect_or_an_error_response_fails_the_delivery_and_is_not_followed(
    tmp_path, response, outcome
):
    server, client = _certificate(tmp_path)
    listener = listen("127.0.0.1", tls=server)
    listener.response = response
    calls: list[tuple[str, int]] = []
    try:
        result = deliver(
            Target(SLACK, "/services/T/B/X"),
            "x",
            POLICY,
            resolver=lambda host, port: [PUBLIC],
            connector=_to(listener, calls),
            tls=client,
        )
        time.sleep(0.3)
    finally:
        listener.close()
    assert result == outcome
    assert len(listener.connections) == 1 and len(calls) == 1


def test_a_server_with_an_untrusted_certificate_fails_without_sending_the_payload(tmp_path):
    server, _ = _certificate(tmp_path)
    listener = listen("127.0.0.1", tls=server)
    calls: list[tuple[str, int]] = []
    try:
        result = deliver(
            Target(SLACK, "/services/T/B/secret"),
            "x",
            POLICY,
            resolver=lambda host, port: [PUBLIC],
            connector=_to(listener, calls),
        )
        time.sleep(0.3)
    finally:
        listener.close()
    assert result == "failed:tls"
    assert all(b"secret" not in c.received for c in listener.connections)


def test_a_server_that_never_answers_fails_the_delivery_at_the_deadline():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    port = silent.getsockname()[1]

    def connect(address: str, p: int, timeout_s: float) -> socket.socket:
        return socket.create_connection(("127.0.0.1", port), timeout=timeout_s)

    try:
        started = time.monotonic()
        result = deliver(
            Target(SLACK, "/services/T/B/X"),
            "x",
            WebhookPolicy(POLICY.allowed_hosts, timeout_s=0.6),
            resolver=lambda host, p: [PUBLIC],
            connector=connect,
        )
        took = time.monotonic() - started
    finally:
        silent.close()
    assert result == "failed:timeout"
    assert took < 3


def test_slack_text_is_escaped_and_capped():
    assert slack_text("a < b > c & d") == "a &lt; b &gt; c &amp; d"
    assert len(slack_text("x" * 10_000)) == 3000
