"""Outbound alert webhooks (CONTRACT-2 §4.9): only to allow-listed hosts at public addresses.

Nothing here runs unless ``ALERT_WEBHOOKS_ENABLED`` is true. Two gates, in this order:

1. :func:`check_url`, before anything is written: ``https``, no userinfo, port absent or 443, the
   host (IDNA-normalised, lower case, no trailing dot) **exactly** on
   ``ALERT_WEBHOOK_ALLOWED_HOSTS``, a ``/services/`` path for ``hooks.slack.com``, a path of plain
   URL characters (nothing that could split the request line).
2. :func:`deliver`, after the check committed: every address the host resolves to must be a
   global unicast address (no private, loopback, link-local, CGNAT, multicast, reserved,
   unspecified, IPv4-mapped or NAT64 form of those); the connection goes to the checked address
   (no second DNS lookup) with the host for TLS SNI and ``Host``; no redirects, no proxies, one
   deadline for the whole exchange; the response is read up to 1 KB and discarded.

A webhook URL carries a secret: it is never logged or returned, only the host. The resolver,
the connector and the TLS context are parameters so that an in-process test can point a checked
delivery at a local listener; production passes none of them, and no setting relaxes a check.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

HTTPS_PORT = 443
SLACK_HOST = "hooks.slack.com"
SLACK_PATH_PREFIX = "/services/"
MAX_URL_CHARS = 2048
MAX_TEXT_CHARS = 3000
RESPONSE_READ_BYTES = 1024
CONNECT_TIMEOUT_S = 3.0
USER_AGENT = "finapilot-worker-alerts"

SENT = "sent"
FAILED = "failed"
REJECTED = "rejected"

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
#: RFC 3986 path and query characters: no space, no control character, no backslash.
_TARGET_RE = re.compile(
    r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*)?$"
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_STATUS_RE = re.compile(rb"^HTTP/1\.[01] (\d{3})")

Resolver = Callable[[str, int], Sequence[str]]
Connector = Callable[[str, int, float], socket.socket]


class WebhookRejected(Exception):
    """The policy refuses a URL or an address; ``reason`` is a short phrase, never the URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_host(raw: str) -> str | None:
    """``raw`` as an exact host name (IDNA, lower case, no trailing dot), or None."""
    host = raw.strip().rstrip(".")
    if not host:
        return None
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return host if _HOST_RE.match(host) else None


@dataclass(frozen=True)
class WebhookPolicy:
    """The operator's webhook settings."""

    allowed_hosts: frozenset[str]
    timeout_s: float


@dataclass(frozen=True)
class Target:
    """A checked webhook: its host and the request target (path and query)."""

    host: str
    request_target: str


def check_url(url: object, policy: WebhookPolicy) -> Target:
    """The webhook ``url`` if the policy allows it.

    Raises:
        WebhookRejected: why not (the reason never holds the URL).
    """
    if not isinstance(url, str) or not url.strip():
        raise WebhookRejected("no webhook URL")
    if len(url) > MAX_URL_CHARS:
        raise WebhookRejected("URL too long")
    if any(ch.isspace() or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url.strip()):
        raise WebhookRejected("URL holds spaces or control characters")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "https":
        raise WebhookRejected("scheme is not https")
    if "@" in parts.netloc:
        raise WebhookRejected("URL holds user information")
    try:
        port = parts.port
    except ValueError:
        raise WebhookRejected("invalid port") from None
    if port not in (None, HTTPS_PORT):
        raise WebhookRejected("port is not 443")
    host = normalize_host(parts.hostname or "")
    if host is None:
        raise WebhookRejected("invalid host")
    if host not in policy.allowed_hosts:
        raise WebhookRejected("host not on ALERT_WEBHOOK_ALLOWED_HOSTS")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not _TARGET_RE.match(target):
        raise WebhookRejected("invalid path")
    if host == SLACK_HOST and not parts.path.startswith(SLACK_PATH_PREFIX):
        raise WebhookRejected("not a Slack incoming-webhook path")
    return Target(host=host, request_target=target)


def is_public_address(address: str) -> bool:
    """Whether ``address`` is a global unicast address (mapped and NAT64 forms unwrapped)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
    special = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT)
    )
    return ip.is_global and not special


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, for TCP."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def system_connector(address: str, port: int, timeout_s: float) -> socket.socket:
    """A TCP connection to the (already checked) ``address``: a literal, so no DNS lookup."""
    return socket.create_connection((address, port), timeout=timeout_s)


def slack_text(text: str) -> str:
    """Slack mrkdwn: ``&``, ``<``, ``>`` escaped, at most :data:`MAX_TEXT_CHARS` characters."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped if len(escaped) <= MAX_TEXT_CHARS else escaped[: MAX_TEXT_CHARS - 1] + "…"


def deliver(
    target: Target,
    text: str,
    policy: WebhookPolicy,
    *,
    resolver: Resolver = system_resolver,
    connector: Connector = system_connector,
    tls: ssl.SSLContext | None = None,
) -> str:
    """POST ``{"text": text}`` to a checked target; never raises.

    Returns:
        ``sent``, ``failed:<class>`` or ``rejected:<reason>`` (for the notification's
        ``metadata.delivery.slack``).
    """
    deadline = time.monotonic() + policy.timeout_s
    try:
        addresses = _resolve(resolver, target.host, deadline)
    except TimeoutError:
        return f"{FAILED}:dns_timeout"
    except OSError:
        return f"{FAILED}:dns_error"
    if not addresses:
        return f"{REJECTED}:no address"
    if not all(is_public_address(a) for a in addresses):
        return f"{REJECTED}:non-public address"
    body = json.dumps({"text": slack_text(text)}, ensure_ascii=False).encode("utf-8")
    request = (
        f"POST {target.request_target} HTTP/1.1\r\nHost: {target.host}\r\n"
        f"User-Agent: {USER_AGENT}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("ascii") + body
    try:
        status = _exchange(addresses[0], target.host, request, deadline, connector, tls)
    except ssl.SSLError:
        return f"{FAILED}:tls"
    except TimeoutError:
        return f"{FAILED}:timeout"
    except OSError:
        return f"{FAILED}:connection"
    if status is None:
        return f"{FAILED}:bad_response"
    if 200 <= status < 300:
        return SENT
    if 300 <= status < 400:
        return f"{FAILED}:redirect_{status}"  # never followed
    return f"{FAILED}:http_{status}"


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("webhook deadline passed")
    return left


def _resolve(resolver: Resolver, host: str, deadline: float) -> list[str]:
    """``resolver(host)`` within the deadline (getaddrinfo has no timeout of its own)."""
    found: list[list[str]] = []
    failed: list[OSError] = []

    def run() -> None:
        try:
            found.append(list(resolver(host, HTTPS_PORT)))
        except OSError as exc:
            failed.append(exc)

    thread = threading.Thread(target=run, name="webhook-dns", daemon=True)
    thread.start()
    thread.join(_remaining(deadline))
    if failed:
        raise failed[0]
    if not found:
        raise TimeoutError("DNS lookup did not finish in time")
    return found[0]


def _exchange(
    address: str,
    host: str,
    request: bytes,
    deadline: float,
    connector: Connector,
    tls: ssl.SSLContext | None,
) -> int | None:
    """Send ``request`` over TLS to ``address``; the response status, or None if unreadable."""
    raw = connector(address, HTTPS_PORT, min(CONNECT_TIMEOUT_S, _remaining(deadline)))
    context = tls or ssl.create_default_context()
    with raw:
        raw.settimeout(_remaining(deadline))  # the TLS handshake runs within the deadline too
        conn = context.wrap_socket(raw, server_hostname=host)
        conn.settimeout(_remaining(deadline))
        conn.sendall(request)
        received = b""
        while b"\r\n" not in received and len(received) < RESPONSE_READ_BYTES:
            conn.settimeout(_remaining(deadline))
            chunk = conn.recv(RESPONSE_READ_BYTES - len(received))
            if not chunk:
                break
            received += chunk
        conn.close()
    match = _STATUS_RE.match(received)
    return int(match.group(1)) if match else None
