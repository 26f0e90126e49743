"""A threaded HTTP/1.1 server on a loopback port, run from a daemon thread.

The stand-ins are plain ``http.server`` servers: no event loop and no extra dependency.
Handlers reach their system through ``self.server.app``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = ["BackgroundServer", "Handler"]


class Handler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 with Content-Length, no Nagle delay, no request logging."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "tongban-sandbox"
    sys_version = ""

    @property
    def app(self) -> Any:
        return self.server.app  # type: ignore[attr-defined]

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        cut: bool = False,
    ) -> None:
        """Answer with ``body``. With ``cut``, announce all of it but send half and hang
        up, as a failing proxy does."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body[: len(body) // 2] if cut else body)
        if cut:
            self.wfile.flush()
            self.close_connection = True

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[Handler], app: object) -> None:
        self.app = app
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.accepted = 0
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self._lock:
            self._open.add(conn)
            self.accepted += 1
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End keep-alive connections too, so a stopped system really stops answering."""
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class BackgroundServer:
    """Serve ``app`` with ``handler`` on ``host:port`` (0 picks a free port) in a thread.

    >>> with BackgroundServer(MyHandler, app) as server:   # doctest: +SKIP
    ...     requests.get(server.url + "/health")
    """

    def __init__(
        self, handler: type[Handler], app: object, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._server = _Server((host, port), handler, app)
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (keep-alive clients open few)."""
        return self._server.accepted

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"sandbox-http-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from another."""
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self._server.close_connections()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
