"""Request signing for REST systems: bearer token, API key header, HMAC signature.

The HMAC scheme is the common one of Chinese government open platforms: the app key, a
Unix timestamp and a signature over ``METHOD\\nPATH\\nCANONICAL_QUERY\\nTIMESTAMP``, where
the canonical query is the parameters sorted by name, each percent-encoded as
``name=value`` and joined by ``&``.

    >>> sign_hmac("secret", "GET", "/api/v1/enterprises", "limit=10", "1700000000")
    'Lyq0PgSrfAJgxc9oys7uE8YhnM2OUvULOIGjI9koZT0='
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlsplit

from requests import PreparedRequest
from requests.auth import AuthBase

__all__ = ["ApiKey", "Bearer", "HmacSigner", "canonical_query", "sign_hmac"]


class Bearer(AuthBase):
    def __init__(self, token: str):
        self._header = f"Bearer {token}"

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = self._header
        return request


class ApiKey(AuthBase):
    def __init__(self, header: str, key: str):
        self.header, self._key = header, key

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers[self.header] = self._key
        return request


def canonical_query(query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def sign_hmac(
    secret: str, method: str, path: str, query: str, timestamp: str, algorithm: str = "sha256"
) -> str:
    message = f"{method.upper()}\n{path}\n{query}\n{timestamp}".encode()
    digest = hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()
    return base64.b64encode(digest).decode("ascii")


class HmacSigner(AuthBase):
    """Signs each request with the app key, the current time and an HMAC of the request."""

    def __init__(
        self,
        app_key: str,
        secret: str,
        *,
        algorithm: str = "sha256",
        key_header: str = "X-App-Key",
        timestamp_header: str = "X-Timestamp",
        signature_header: str = "X-Signature",
        clock: Callable[[], float] = time.time,
    ):
        if algorithm not in hashlib.algorithms_available:
            raise ValueError(f"HMAC algorithm {algorithm!r} is not available here")
        self.app_key, self._secret, self.algorithm = app_key, secret, algorithm
        self._headers = (key_header, timestamp_header, signature_header)
        self._clock = clock

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        parts = urlsplit(request.url or "")
        timestamp = str(int(self._clock()))
        signature = sign_hmac(
            self._secret,
            request.method or "GET",
            parts.path or "/",
            canonical_query(parts.query),
            timestamp,
            self.algorithm,
        )
        key_header, timestamp_header, signature_header = self._headers
        request.headers[key_header] = self.app_key
        request.headers[timestamp_header] = timestamp
        request.headers[signature_header] = signature
        return request
