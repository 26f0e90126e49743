"""A fault-injecting HTTP proxy in front of a sandbox system: a real server on a loopback
port that forwards each request upstream and lets a test rewrite the answer.

    >>> def drop_cursor(hit: Hit) -> Reply | None:      # doctest: +SKIP
    ...     return hit.reply(body=hit.body.replace(b'"next_cursor"', b'"nextCursor"'))
    >>> with FaultProxy(server.url, drop_cursor) as proxy: ...   # doctest: +SKIP
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from sandbox._http import BackgroundServer, Handler

__all__ = ["FaultProxy", "Hit", "Reply"]


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    cut: bool = False  # announce the whole body, send half, hang up


@dataclass(frozen=True)
class Hit:
    """One request that went through, with the upstream's answer."""

    number: int  # 1 for the first request through the proxy
    method: str
    path: str
    status: int
    body: bytes
    headers: dict[str, str]

    def reply(self, **changes: object) -> Reply:
        upstream = Reply(self.status, self.body, self.headers)
        return replace(upstream, **changes)  # type: ignore[arg-type]


Fault = Callable[[Hit], Reply | None]
"""Given a request and the upstream's answer, the answer to send instead (None: as is)."""


class _ProxyHandler(Handler):
    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        proxy: FaultProxy = self.app
        body = self.read_body()
        up = urlsplit(proxy.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        answer = conn.getresponse()
        payload = answer.read()
        kept = {
            k: v
            for k, v in answer.getheaders()
            if k.lower()
            not in (
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
                "content-type",
            )
        }
        content_type = answer.getheader("Content-Type") or "application/octet-stream"
        conn.close()
        with proxy.lock:
            proxy.count += 1
            hit = Hit(proxy.count, self.command, self.path, answer.status, payload, kept)
        reply = proxy.fault(hit) or hit.reply()
        proxy.hits.append(hit)
        reply_type = reply.headers.get("Content-Type", content_type)
        extra = {k: v for k, v in reply.headers.items() if k != "Content-Type"}
        self.send(reply.status, reply.body, reply_type, extra, cut=reply.cut)


class FaultProxy:
    def __init__(self, upstream: str, fault: Fault | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.fault: Fault = fault or (lambda hit: None)
        self.lock = threading.Lock()
        self.count = 0
        self.hits: list[Hit] = []
        self._server = BackgroundServer(_ProxyHandler, self)

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> Self:
        self._server.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.stop()
