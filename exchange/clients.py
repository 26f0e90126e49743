"""Approval systems registered as clients, and how a request proves which one it is.

    >>> registry = ClientRegistry(store, ExchangeSettings())
    >>> client, key = registry.add("zwfw-bj", "北京市政务服务审批系统")   # key shown once
    >>> registry.authenticate(key).client_id
    'zwfw-bj'
    >>> registry.revoke("zwfw-bj", reason="系统下线")     # refused at once, in every process

A client holds an API key (only its SHA-256 is stored: the key is 256 random bits, so
a fast hash is as strong as a slow one and costs nothing per request) or signs a short
JWT client assertion per request with its own key (RFC 7523: ``iss`` = ``sub`` = client
id, ``aud`` = the hub, ``exp``, a ``jti`` used once). Every request reads the client's row,
so a revocation holds from the next request on in every API process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from exchange.errors import Refusal
from exchange.settings import ExchangeSettings
from tongban.errors import RecordError
from tongban.store import Store, schema, utcnow

__all__ = ["Client", "ClientRegistry", "hash_key"]

_T = schema.exchange_client
_CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{1,39}")
_KEY_PREFIX = "tbk_"
_ALGS = ["ES256", "ES384", "RS256", "PS256", "EdDSA"]


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Client:
    """A registered approval system."""

    client_id: str
    name: str
    department: str | None
    auth_kind: str  # api_key or jwt
    key_hint: str | None
    rate_limit: int
    status: str  # active or revoked
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @classmethod
    def from_row(cls, row: Any) -> Client:
        def aware(v: datetime | None) -> datetime | None:
            return v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v

        return cls(
            client_id=row.client_id,
            name=row.name,
            department=row.department,
            auth_kind=row.auth_kind,
            key_hint=row.key_hint,
            rate_limit=row.rate_limit,
            status=row.status,
            created_at=aware(row.created_at),  # type: ignore[arg-type]
            revoked_at=aware(row.revoked_at),
            revoked_reason=row.revoked_reason,
        )


_COLUMNS = [c for c in _T.c if c.name not in ("key_hash", "public_key")]


class ClientRegistry:
    """Adds, lists and revokes clients; authenticates a request's credential."""

    def __init__(self, store: Store, settings: ExchangeSettings) -> None:
        self.store = store
        self.settings = settings

    # -- administration ---------------------------------------------------------------

    def add(
        self,
        client_id: str,
        name: str,
        *,
        department: str | None = None,
        public_key_pem: str | None = None,
        rate_limit: int | None = None,
    ) -> tuple[Client, str | None]:
        """Register a client. Returns it and its API key (None for a JWT client).

        The API key is shown here once; the store keeps its hash only."""
        if not _CLIENT_ID.fullmatch(client_id):
            raise RecordError(
                "client.id",
                f"client id {client_id!r} must be 2-40 of a-z, 0-9, '-' and '_',"
                " starting with a letter or digit",
                value=client_id,
            )
        key: str | None = None
        row: dict[str, Any] = {
            "client_id": client_id,
            "name": name,
            "department": department,
            "rate_limit": rate_limit or self.settings.default_rate_limit,
            "status": "active",
            "created_at": utcnow(),
        }
        if public_key_pem is not None:
            try:
                jwk.JWK.from_pem(public_key_pem.encode("ascii"))
            except (ValueError, TypeError, UnicodeEncodeError) as exc:
                raise RecordError("client.public_key", f"not a PEM public key: {exc}") from None
            row.update(auth_kind="jwt", public_key=public_key_pem)
        else:
            key = _KEY_PREFIX + secrets.token_urlsafe(32)
            row.update(auth_kind="api_key", key_hash=hash_key(key), key_hint=key[:10])
        try:
            with self.store.engine.begin() as conn:
                conn.execute(insert(_T), row)
        except IntegrityError:
            raise RecordError(
                "client.exists", f"client {client_id} is already registered", value=client_id
            ) from None
        client = self.get(client_id)
        assert client is not None
        return client, key

    def get(self, client_id: str) -> Client | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(_T.c.client_id == client_id)).first()
        return Client.from_row(row) if row is not None else None

    def list(self) -> list[Client]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS).order_by(_T.c.created_at, _T.c.client_id))
            return [Client.from_row(r) for r in rows]

    def revoke(self, client_id: str, *, reason: str) -> Client:
        if self.get(client_id) is None:
            raise RecordError("client.unknown", f"no client {client_id}", value=client_id)
        with self.store.engine.begin() as conn:
            conn.execute(
                update(_T)
                .where(_T.c.client_id == client_id, _T.c.status == "active")
                .values(status="revoked", revoked_at=utcnow(), revoked_reason=reason)
            )
        client = self.get(client_id)
        assert client is not None
        return client

    # -- authentication ---------------------------------------------------------------

    def authenticate(self, credential: str) -> Client:
        """The active client a credential (API key or JWT assertion) belongs to, or 401."""
        credential = credential.strip()
        if credential.count(".") == 2 and not credential.startswith(_KEY_PREFIX):
            return self._assertion(credential)
        with self.store.reads.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(_T.c.key_hash == hash_key(credential)))
            found = row.first()
        if found is None:
            raise Refusal(401, "client.unknown_key", "the API key is not registered")
        return _active(Client.from_row(found))

    def _assertion(self, token: str) -> Client:
        claims = _unverified_claims(token)
        client_id = claims.get("iss")
        if not isinstance(client_id, str) or claims.get("sub") != client_id:
            raise Refusal(
                401, "client.assertion", "the assertion's iss and sub must name the client"
            )
        with self.store.engine.connect() as conn:
            found = conn.execute(
                select(*_COLUMNS, _T.c.public_key).where(_T.c.client_id == client_id)
            ).first()
        if found is None or found.public_key is None:
            raise Refusal(401, "client.unknown", f"no client {client_id} signs assertions")
        client = _active(Client.from_row(found))
        try:
            key = jwk.JWK.from_pem(found.public_key.encode("ascii"))
            checked = jwt.JWT(
                jwt=token,
                key=key,
                algs=_ALGS,
                expected_type="JWS",
                check_claims={
                    "iss": client_id,
                    "sub": client_id,
                    "aud": self.settings.audience,
                    "exp": None,
                    "jti": None,
                },
            )
            verified = json.loads(checked.claims)
        except (JWException, jws.InvalidJWSSignature, ValueError, TypeError) as exc:
            raise Refusal(
                401, "client.assertion", f"the assertion does not verify: {exc}"
            ) from None
        exp = datetime.fromtimestamp(int(verified["exp"]), UTC)
        if exp - utcnow() > timedelta(seconds=self.settings.assertion_max_age_s):
            raise Refusal(
                401,
                "client.assertion",
                f"the assertion lives longer than {self.settings.assertion_max_age_s} s",
            )
        self._use_once(client_id, str(verified["jti"])[:100], exp)
        return client

    def _use_once(self, client_id: str, jti: str, expires_at: datetime) -> None:
        a = schema.exchange_assertion
        try:
            with self.store.engine.begin() as conn:
                conn.execute(delete(a).where(a.c.client_id == client_id, a.c.expires_at < utcnow()))
                conn.execute(
                    insert(a), {"client_id": client_id, "jti": jti, "expires_at": expires_at}
                )
        except IntegrityError:
            raise Refusal(
                401, "client.assertion_replayed", f"assertion {jti} was already used"
            ) from None


def _active(client: Client) -> Client:
    if not client.active:
        raise Refusal(
            401, "client.revoked", f"client {client.client_id} was revoked: {client.revoked_reason}"
        )
    return client


def _unverified_claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, IndexError):
        raise Refusal(401, "client.assertion", "the assertion is not a JWT") from None
    if not isinstance(claims, dict):
        raise Refusal(401, "client.assertion", "the assertion's claims are not an object")
    return claims
