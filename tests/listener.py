"""A local TCP listener that records every connection made to it (webhook tests).

Loopback only. Optionally answers each connection with TLS and an HTTP response, to show a
delivery that was allowed to connect.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field


@dataclass
class Connection:
    """One accepted connection: the peer and what it sent (plaintext after TLS, if any)."""

    peer: tuple[str, int]
    received: bytes = b""
    sni: str | None = None


@dataclass
class Listener:
    """Accepts on ``host:port`` until closed; ``connections`` lists what came in."""

    sock: socket.socket
    tls: ssl.SSLContext | None = None
    response: bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    connections: list[Connection] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def address(self) -> str:
        return str(self.sock.getsockname()[0])

    def start(self) -> Listener:
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        threading.Thread(target=self._serve, name="test-listener", daemon=True).start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            record = Connection(peer=peer[:2])
            self.connections.append(record)
            threading.Thread(target=self._handle, args=(conn, record), daemon=True).start()

    def _handle(self, conn: socket.socket, record: Connection) -> None:
        conn.settimeout(5)
        try:
            if self.tls is not None:

                def remember(sock: ssl.SSLSocket, name: str | None, _ctx: ssl.SSLContext) -> None:
                    record.sni = name

                self.tls.sni_callback = remember
                conn = self.tls.wrap_socket(conn, server_side=True)
                while b"\r\n\r\n" not in record.received:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    record.received += chunk
                head, _, body = record.received.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(body) < length:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    body += chunk
                record.received = head + b"\r\n\r\n" + body
                conn.sendall(self.response)
            else:
                record.received = conn.recv(4096)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def listen(host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> Listener:
    """A started listener (``port`` 0 picks a free port); raises OSError if it cannot bind."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return Listener(sock, tls=tls).start()
