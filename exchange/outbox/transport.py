"""Where the outbox's messages go: a small interface and its HTTP implementation.

A :class:`Receiver` takes a list of messages (in order) and says, per message, whether it
was delivered or refused; a failure of the whole call is a :class:`RetriableError` (a
timeout, a hang-up, a 5xx or 429: the outcome is unknown) or a :class:`FatalError`
(wrong credentials, a malformed request). ``received`` asks which keys arrived, so a
message whose answer was lost is never sent twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from tongban.errors import FatalError, RetriableError

__all__ = ["HttpReceiver", "Receiver", "SendResult", "bearer_auth", "province_auth"]


@dataclass(slots=True)
class SendResult:
    delivered: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)


class Receiver(Protocol):
    target: str

    def send(self, messages: Sequence[dict[str, Any]]) -> SendResult: ...

    def received(self, keys: Sequence[str]) -> set[str]: ...


Auth = Callable[[str, str, bytes], dict[str, str]]


def province_auth(app_key: str, secret: str) -> Auth:
    """HMAC-SHA256 over method, path, timestamp and the body's SHA-256 (省级平台)."""

    def headers(method: str, path: str, body: bytes) -> dict[str, str]:
        stamp = str(int(time.time()))
        message = f"{method}\n{path}\n{stamp}\n{hashlib.sha256(body).hexdigest()}"
        mac = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
        return {"X-App-Key": app_key, "X-Timestamp": stamp,
                "X-Signature": base64.b64encode(mac).decode()}  # fmt: skip

    return headers


def bearer_auth(token: str) -> Auth:
    def headers(method: str, path: str, body: bytes) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return headers


class HttpReceiver:
    """A receiving system's REST JSON API under ``<base_url>/api/<target>/v1``."""

    def __init__(self, target: str, base_url: str, auth: Auth, *, timeout: float = 10.0):
        self.target = target
        self._base, self._auth, self._timeout = base_url.rstrip("/"), auth, timeout
        self._prefix = f"/api/{target}/v1"
        self._session = requests.Session()

    def _post(self, name: str, doc: dict[str, Any]) -> dict[str, Any]:
        path = f"{self._prefix}/{name}"
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **self._auth("POST", path, body)}
        try:
            resp = self._session.post(self._base + path, data=body, headers=headers,
                                      timeout=self._timeout)  # fmt: skip
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetriableError(f"{self.target}: {type(exc).__name__}: {exc}") from None
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RetriableError(f"{self.target}: HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise FatalError(f"{self.target}: HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            answer: dict[str, Any] = resp.json()
        except ValueError:
            raise RetriableError(f"{self.target}: the answer is not JSON") from None
        return answer

    def send(self, messages: Sequence[dict[str, Any]]) -> SendResult:
        answer = self._post("messages", {"messages": list(messages)})
        result = SendResult()
        for item in answer.get("results") or ():
            key = item.get("idempotency_key")
            if item.get("status") in ("accepted", "duplicate"):
                result.delivered.add(key)
            else:
                result.refused[key] = str(item.get("error") or item.get("status"))
        return result

    def received(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        return set(self._post("receipts", {"keys": list(keys)}).get("received") or ())

    def close(self) -> None:
        self._session.close()
