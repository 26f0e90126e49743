"""市场监管 enterprise registry stand-in: a signed, rate-limited, paged REST JSON API.

``GET /api/v1/enterprises`` and ``GET /api/v1/licenses`` take ``updated_since`` (ISO 8601;
without an offset it is Beijing time), ``cursor`` (opaque) and ``limit`` (1..1000,
default 500) and answer ``{"items": [...], "next_cursor": "..." | null}`` in
(updated_at, id) order. The cursor is urlsafe base64 of the last item's position, so it
is stateless and survives a restart with the same seed. ``GET /health`` needs no auth.

Auth on ``/api/*``: ``X-App-Key``, ``X-Timestamp`` (unix seconds, within ±300 s) and
``X-Signature`` = base64(HMAC-SHA256(secret, METHOD\\nPATH\\nCANONICAL_QUERY\\nTIMESTAMP)).
Switches: ``rate_limit`` (requests/s per app key, token bucket, 429 + ``Retry-After``),
``error_every`` (every N-th API request answers 503, every other such time 500),
``fail_after_pages`` (pages beyond N answer 503), ``cut_every`` (every N-th page is cut
off half-way: the full Content-Length is announced, half the body sent and the connection
closed, as a failing proxy does) and ``prerender`` (render every item at start-up, so
that serving a page is joining bytes).

    >>> headers = signed_headers("key", "secret", "GET", "/api/v1/enterprises", {"limit": "10"})
    >>> sorted(headers)
    ['X-App-Key', 'X-Signature', 'X-Timestamp']
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from sandbox._http import BackgroundServer, Handler
from sandbox._timeline import Timeline
from sandbox.dirt import DirtRates
from sandbox.sources import enterprise_item, license_item
from sandbox.world import CST, World

__all__ = ["EnterpriseServer", "canonical_query", "sign", "signed_headers"]

MAX_LIMIT, DEFAULT_LIMIT, CLOCK_SKEW = 1000, 500, 300
_JSON = "application/json; charset=utf-8"


def canonical_query(query: str) -> str:
    """Parameters sorted by name, each ``quote(name)=quote(value)``, joined by ``&``."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='')}={quote(val, safe='')}" for k, val in pairs)


def sign(secret: str, method: str, path: str, query: str, timestamp: str) -> str:
    """The signature of a request; ``query`` is the raw query string (canonicalized here)."""
    message = f"{method.upper()}\n{path}\n{canonical_query(query)}\n{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signed_headers(
    app_key: str, secret: str, method: str, path: str, params: Mapping[str, str] | str = "",
    *, now: float | None = None,
) -> dict[str, str]:  # fmt: skip
    query = (
        params
        if isinstance(params, str)
        else "&".join(
            f"{quote(k, safe='')}={quote(str(val), safe='')}" for k, val in params.items()
        )
    )
    timestamp = str(int(time.time() if now is None else now))
    return {
        "X-App-Key": app_key,
        "X-Timestamp": timestamp,
        "X-Signature": sign(secret, method, path, query, timestamp),
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: object) -> bytes:
    return _ENCODER.encode(value).encode()


class _ApiError(Exception):
    def __init__(
        self, status: int, error: str, message: str, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}


class _TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate, self.capacity = rate, max(1.0, rate)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_needed(self, key: str) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


class _Listing:
    """One paged collection: its change order and how an item renders."""

    def __init__(self, timeline: Timeline, render: Callable[[int], bytes], prefix: str) -> None:
        self.timeline, self.render, self.prefix = timeline, render, prefix
        self.rendered: list[bytes] | None = None

    def prerender(self, by_index: list[bytes]) -> None:
        self.rendered = [by_index[i] for i in self.timeline.order]

    def page(self, start: int, limit: int, page_no: int) -> bytes:
        order = self.timeline.order
        end = min(start + limit, len(order))
        if self.rendered is not None:
            items = b",".join(self.rendered[start:end])
        else:
            items = b",".join([self.render(i) for i in order[start:end]])
        cursor = b"null"
        if end < len(order):
            last = order[end - 1]
            token = _dumps({"t": self.timeline.iso(last), "i": last, "n": page_no + 1})
            cursor = b'"' + base64.urlsafe_b64encode(token).rstrip(b"=") + b'"'
        return b'{"items":[' + items + b'],"next_cursor":' + cursor + b"}"

    def resolve(self, params: dict[str, str]) -> tuple[int, int]:
        """The start position and the page number a request asks for."""
        since = params.get("updated_since")
        start = self.timeline.position_since(_parse_time(since)) if since else 0
        cursor = params.get("cursor")
        if not cursor:
            return start, 1
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            when, last, page_no = _parse_time(data["t"]), int(data["i"]), int(data["n"])
        except (ValueError, KeyError, TypeError, _ApiError):
            raise _ApiError(400, "invalid_cursor", f"cursor 无法识别：{cursor!r}") from None
        slot = self.timeline.slot_at(when)
        after = (
            self.timeline.position_after(slot, last)
            if slot is not None
            else self.timeline.position_since(when)
        )
        return max(start, after), page_no


def _parse_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise _ApiError(400, "invalid_parameter", f"时间格式应为 ISO 8601：{text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=CST)


class _Registry:
    def __init__(
        self, world: World, dirt: DirtRates, credentials: Mapping[str, str],
        rate_limit: float | None, error_every: int, fail_after_pages: int | None,
        cut_every: int = 0,
    ) -> None:  # fmt: skip
        self.world, self.credentials = world, dict(credentials)
        self.bucket = _TokenBucket(rate_limit) if rate_limit else None
        self.error_every, self.fail_after_pages = error_every, fail_after_pages
        self.cut_every, self._pages_sent = cut_every, 0
        self._requests, self._lock = 0, threading.Lock()
        self.dirt = dirt
        n = world.enterprises
        self.listings = {
            "/api/v1/enterprises": _Listing(
                world.timeline("scjg_enterprise", n),
                lambda i: _dumps(enterprise_item(world, dirt, i)[0]),
                "SCJG",
            ),
            "/api/v1/licenses": _Listing(
                world.timeline("scjg_license", n),
                lambda i: _dumps(license_item(world, dirt, i)[0]),
                "YYZZ",
            ),
        }

    def prerender(self) -> None:
        """Render every item of both listings once; an enterprise is built once for both."""
        world, dirt = self.world, self.dirt
        items: list[bytes] = []
        licenses: list[bytes] = []
        for i in range(world.enterprises):
            e = world.enterprise(i)
            items.append(_dumps(enterprise_item(world, dirt, i, e)[0]))
            licenses.append(_dumps(license_item(world, dirt, i, e)[0]))
        self.listings["/api/v1/enterprises"].prerender(items)
        self.listings["/api/v1/licenses"].prerender(licenses)

    def authenticate(self, method: str, path: str, query: str, headers: Any) -> str:
        key = headers.get("X-App-Key") or ""
        secret = self.credentials.get(key)
        if secret is None:
            raise _ApiError(401, "invalid_signature", f"签名校验失败：未知的 X-App-Key {key!r}")
        stamp = headers.get("X-Timestamp") or ""
        try:
            skew = abs(time.time() - int(stamp))
        except ValueError:
            raise _ApiError(
                401, "timestamp_expired", f"X-Timestamp 应为 Unix 秒：{stamp!r}"
            ) from None
        if skew > CLOCK_SKEW:
            raise _ApiError(
                401, "timestamp_expired", f"请求时间戳已过期：与服务器时间相差 {int(skew)} 秒"
            )
        expected = sign(secret, method, path, query, stamp)
        if not hmac.compare_digest(expected, headers.get("X-Signature") or ""):
            raise _ApiError(401, "invalid_signature", "签名校验失败：X-Signature 与请求不符")
        return key

    def admit(self, key: str) -> None:
        if self.bucket is not None:
            wait = self.bucket.wait_needed(key)
            if wait > 0:
                retry = f"{max(wait, 0.001):.3f}".rstrip("0").rstrip(".")
                raise _ApiError(
                    429,
                    "rate_limited",
                    f"请求过于频繁，请 {retry} 秒后重试",
                    {"Retry-After": retry},
                )
        if self.error_every:
            with self._lock:
                self._requests += 1
                n = self._requests
            if n % self.error_every == 0:
                status = 503 if (n // self.error_every) % 2 else 500
                raise _ApiError(status, "service_unavailable", "服务暂时不可用，请稍后重试")

    def cut_now(self) -> bool:
        """Whether this page answer is the one in ``cut_every`` to cut off."""
        if not self.cut_every:
            return False
        with self._lock:
            self._pages_sent += 1
            return self._pages_sent % self.cut_every == 0

    def page(self, path: str, query: str) -> bytes:
        listing = self.listings.get(path)
        if listing is None:
            raise _ApiError(404, "not_found", f"没有这个接口：{path}")
        params = dict(parse_qsl(query, keep_blank_values=True))
        try:
            limit = int(params.get("limit") or DEFAULT_LIMIT)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise _ApiError(
                400, "invalid_parameter", f"limit 必须在 1 到 {MAX_LIMIT} 之间：{params['limit']!r}"
            )
        start, page_no = listing.resolve(params)
        if self.fail_after_pages is not None and page_no > self.fail_after_pages:
            raise _ApiError(503, "service_unavailable", "服务暂时不可用，请稍后重试")
        return listing.page(start, limit, page_no)


class _EnterpriseHandler(Handler):
    def do_GET(self) -> None:
        registry: _Registry = self.app
        parts = urlsplit(self.path)
        if parts.path == "/health":
            health = {"status": "ok", "enterprises": registry.world.enterprises}
            self.send(200, _dumps(health), _JSON)
            return
        try:
            if not parts.path.startswith("/api/"):
                raise _ApiError(404, "not_found", f"没有这个接口：{parts.path}")
            key = registry.authenticate("GET", parts.path, parts.query, self.headers)
            registry.admit(key)
            body = registry.page(parts.path, parts.query)
            self.send(200, body, _JSON, cut=registry.cut_now())
        except _ApiError as err:
            body = _dumps({"error": err.error, "message": err.message})
            self.send(err.status, body, _JSON, err.headers)


class EnterpriseServer(BackgroundServer):
    """The REST enterprise registry on a loopback port (``port=0``: a free one).

    ``credentials`` maps app keys to their secrets.
    """

    def __init__(
        self,
        world: World,
        dirt: DirtRates,
        *,
        credentials: Mapping[str, str],
        rate_limit: float | None = None,
        error_every: int = 0,
        fail_after_pages: int | None = None,
        cut_every: int = 0,
        prerender: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        for name, every in (("error_every", error_every), ("cut_every", cut_every)):
            if every < 0:
                raise ValueError(f"{name} must be >= 0, not {every}")
        registry = _Registry(
            world, dirt, credentials, rate_limit, error_every, fail_after_pages, cut_every
        )
        if prerender:
            registry.prerender()
        super().__init__(_EnterpriseHandler, registry, host=host, port=port)
