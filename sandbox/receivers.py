"""Stand-ins for the two systems cases are pushed to: the provincial platform (省级政务服务
平台) and e-supervision (电子监察系统). REST JSON, each with its own auth.

``POST <prefix>/messages`` takes ``{"messages": [...]}``; each message carries an
``idempotency_key``, its ``case_no`` and ``seq`` (the order of the case's messages). The
answer lists each message as ``accepted``, ``duplicate`` (its key arrived before; not
applied again) or ``refused`` (with an error). A case's messages must arrive in ``seq``
order: one out of order is refused and counted, as is every later one of that case in
the same request. ``POST <prefix>/receipts`` takes ``{"keys": [...]}`` and answers which
of them arrived (``{"received": [...]}``), so a sender that lost an answer can ask
before sending again.

Auth: the provincial platform wants ``X-App-Key``, ``X-Timestamp`` and ``X-Signature`` =
base64(HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nSHA256-hex of the body)); e-supervision
wants ``Authorization: Bearer <token>``. ``GET /health`` and ``GET /_sandbox/stats`` need
none.

Faults, per request: ``failure_rate`` of requests fail, half with a 500 or 503 before
anything is applied, half by hanging ``hang_seconds`` and hanging up (a timeout), of
which half after applying the messages (the answer is lost). ``down_for(seconds)`` makes
the system hang up on every request for a while.

    >>> with CaseReceiver.province("key", "secret", failure_rate=0.3) as province:  # doctest: +SKIP
    ...     province.url, province.stats()["duplicates"]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from sandbox._http import BackgroundServer, Handler

__all__ = ["CaseReceiver", "province_signature"]

_JSON = "application/json; charset=utf-8"
CLOCK_SKEW = 300


def province_signature(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _province_auth(app_key: str, secret: str) -> Callable[[Handler, bytes], str | None]:
    def check(handler: Handler, body: bytes) -> str | None:
        h = handler.headers
        if h.get("X-App-Key") != app_key:
            return "unknown app key"
        stamp = h.get("X-Timestamp") or ""
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > CLOCK_SKEW:
            return "timestamp missing or outside the allowed skew"
        path = handler.path.split("?", 1)[0]
        want = province_signature(secret, handler.command, path, stamp, body)
        if not hmac.compare_digest(want, h.get("X-Signature") or ""):
            return "bad signature"
        return None

    return check


def _bearer_auth(token: str) -> Callable[[Handler, bytes], str | None]:
    def check(handler: Handler, body: bytes) -> str | None:
        given = handler.headers.get("Authorization") or ""
        if not hmac.compare_digest(given, f"Bearer {token}"):
            return "missing or wrong bearer token"
        return None

    return check


class _Hangup(Exception):
    """Close the connection without an answer."""


class _State:
    """What the system received, in order, and what it counted."""

    def __init__(self, failure_rate: float, hang_seconds: float, seed: int) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.failure_rate, self.hang_seconds = failure_rate, hang_seconds
        self.down_until = 0.0
        self.messages: dict[str, dict[str, Any]] = {}
        self.sequences: dict[str, list[int]] = {}
        self.counts = {"requests": 0, "accepted": 0, "duplicates": 0, "order_violations": 0,
                       "errors_5xx": 0, "timeouts": 0, "down_hangups": 0}  # fmt: skip

    def take(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        blocked: set[str] = set()
        with self.lock:
            for m in batch:
                key, case_no, seq = m.get("idempotency_key"), m.get("case_no"), m.get("seq")
                if (
                    not isinstance(key, str)
                    or not isinstance(case_no, str)
                    or not (isinstance(seq, int))
                ):
                    results.append(
                        {
                            "idempotency_key": key,
                            "status": "refused",
                            "error": "idempotency_key, case_no and seq are required",
                        }
                    )
                    continue
                if key in self.messages:
                    self.counts["duplicates"] += 1
                    results.append({"idempotency_key": key, "status": "duplicate"})
                    continue
                seen = self.sequences.setdefault(case_no, [])
                expected = (seen[-1] if seen else 0) + 1
                if case_no in blocked or seq != expected:
                    blocked.add(case_no)
                    self.counts["order_violations"] += 1
                    results.append({"idempotency_key": key, "status": "refused",
                                    "error": f"out of order: case {case_no} expects seq"
                                    f" {expected}, got {seq}"})  # fmt: skip
                    continue
                self.messages[key] = m
                seen.append(seq)
                self.counts["accepted"] += 1
                results.append({"idempotency_key": key, "status": "accepted"})
        return results

    def fault(self) -> str | None:
        with self.lock:
            self.counts["requests"] += 1
            if time.monotonic() < self.down_until:
                self.counts["down_hangups"] += 1
                return "down"
            if self.rng.random() >= self.failure_rate:
                return None
            kind = self.rng.choice(("500", "503", "hang_before", "hang_after"))
            self.counts["errors_5xx" if kind in ("500", "503") else "timeouts"] += 1
            return kind


class _ReceiverHandler(Handler):
    def do_GET(self) -> None:
        rx: CaseReceiver = self.app
        if self.path == "/health":
            self._json(200, {"status": "ok", "system": rx.system})
        elif self.path == "/_sandbox/stats":
            self._json(200, rx.stats())
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        rx: CaseReceiver = self.app
        body = self.read_body()
        path = self.path.split("?", 1)[0]
        try:
            if path not in (f"{rx.prefix}/messages", f"{rx.prefix}/receipts"):
                self._json(404, {"error": "not_found"})
                return
            problem = rx.auth(self, body)
            if problem:
                self._json(401, {"error": "unauthorized", "message": problem})
                return
            fault = rx.state.fault()
            if fault == "down":
                raise _Hangup
            if fault in ("500", "503"):
                self._json(int(fault), {"error": "unavailable"})
                return
            if fault == "hang_before":
                time.sleep(rx.state.hang_seconds)
                raise _Hangup
            try:
                doc = json.loads(body)
            except ValueError:
                self._json(400, {"error": "bad_request", "message": "body is not JSON"})
                return
            if path.endswith("/receipts"):
                keys = doc.get("keys") or []
                with rx.state.lock:
                    got = [k for k in keys if k in rx.state.messages]
                self._json(200, {"received": got})
                return
            results = rx.state.take(list(doc.get("messages") or []))
            if fault == "hang_after":
                time.sleep(rx.state.hang_seconds)
                raise _Hangup
            self._json(200, {"results": results})
        except _Hangup:
            self.close_connection = True

    def _json(self, status: int, doc: object) -> None:
        self.send(status, json.dumps(doc, ensure_ascii=False).encode(), _JSON)


class CaseReceiver:
    """One receiving system on a loopback port (0: a free one), run from a thread."""

    def __init__(
        self,
        system: str,
        auth: Callable[[Handler, bytes], str | None],
        *,
        failure_rate: float = 0.0,
        hang_seconds: float = 2.0,
        seed: int = 7,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.system, self.auth, self.prefix = system, auth, f"/api/{system}/v1"
        self.state = _State(failure_rate, hang_seconds, seed)
        self._server = BackgroundServer(_ReceiverHandler, self, host=host, port=port)

    @classmethod
    def province(cls, app_key: str, secret: str, **kwargs: Any) -> CaseReceiver:
        return cls("province", _province_auth(app_key, secret), **kwargs)

    @classmethod
    def supervision(cls, token: str, **kwargs: Any) -> CaseReceiver:
        return cls("supervision", _bearer_auth(token), **kwargs)

    @property
    def url(self) -> str:
        return self._server.url

    def set_failure_rate(self, rate: float) -> None:
        with self.state.lock:
            self.state.failure_rate = rate

    def down_for(self, seconds: float) -> None:
        """Hang up on every request for ``seconds`` from now (fully down)."""
        with self.state.lock:
            self.state.down_until = time.monotonic() + seconds

    def stats(self) -> dict[str, Any]:
        with self.state.lock:
            return {**self.state.counts, "messages": len(self.state.messages),
                    "cases": len(self.state.sequences)}  # fmt: skip

    def sequences(self) -> dict[str, list[int]]:
        """Per case, the ``seq`` of each accepted message in the order it arrived."""
        with self.state.lock:
            return {k: list(v) for k, v in self.state.sequences.items()}

    def messages(self) -> dict[str, dict[str, Any]]:
        with self.state.lock:
            return dict(self.state.messages)

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
