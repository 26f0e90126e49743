"""FastAPI dependencies every exchange route (and case intake, and the console) uses.

    @router.get("/v1/people/{id_number}")
    def person(id_number: str, request: Request,
               client: Client = Depends(authenticated_client),
               purpose: Purpose = Depends(stated_purpose)) -> Response:
        ...
        return answer(request, payload, resource="person", subject=key, fields=[...])

- :func:`authenticated_client`: the API key (``X-API-Key`` or ``Authorization: Bearer``)
  or signed JWT client assertion (``Authorization: Bearer <jwt>``) of an active client,
  counted against its rate limit; 401 or 429 otherwise.
- :func:`stated_purpose`: the service item code (``X-Service-Item``, 事项编码), the case
  number (``X-Case-Number``, 办件编号) and the operator (``X-Operator``, 经办人,
  percent-encoded UTF-8); a missing purpose or an unknown service item is refused (403).
- :func:`request_access`: what the audit log records of this request; filled in by the
  two above and by the route (subject, resource).
- :func:`answer`: the JSON answer, signed (``X-JWS-Signature``), its digest written to the
  audit log before it leaves.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import unquote

import msgspec
from fastapi import Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from exchange.audit import AuditEntry
from exchange.clients import Client
from exchange.errors import Refusal
from exchange.hub import Hub
from exchange.signing import SIGNATURE_HEADER

__all__ = [
    "Access",
    "Purpose",
    "answer",
    "authenticated_client",
    "get_hub",
    "request_access",
    "stated_purpose",
]

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class Purpose:
    """Why a request is made: the service item, the case, and who handles it."""

    service_item: str  # 事项编码
    case_no: str  # 办件编号
    operator: str | None = None  # 经办人


@dataclass(slots=True)
class Access:
    """One request as the audit log will record it, allowed or refused."""

    request_id: str
    method: str
    path: str
    client: Client | None = None
    purpose: Purpose | None = None
    subject: str | None = None
    resource: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def entry(
        self,
        outcome: str,
        status: int,
        *,
        reason: str | None = None,
        fields: Sequence[str] = (),
        answer_sha256: str | None = None,
    ) -> AuditEntry:
        p = self.purpose
        return AuditEntry(
            request_id=self.request_id,
            method=self.method,
            path=self.path,
            outcome=outcome,
            status=status,
            client_id=self.client.client_id if self.client else None,
            operator=p.operator if p else None,
            service_item=p.service_item if p else None,
            case_no=p.case_no if p else None,
            subject=self.subject,
            resource=self.resource,
            fields=tuple(fields),
            reason=reason,
            answer_sha256=answer_sha256,
        )


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def request_access(request: Request) -> Access:
    access: Access | None = getattr(request.state, "access", None)
    if access is None:
        access = Access(str(uuid.uuid4()), request.method, request.url.path)
        request.state.access = access
    return access


async def authenticated_client(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <API key or JWT>")] = None,
    x_api_key: Annotated[str | None, Header(description="The client's API key")] = None,
) -> Client:
    """The active client the request's credential belongs to (401), within its rate (429).

    Asynchronous so that a peer's signed request is checked without holding a worker
    thread while the asking peer's CRL is fetched; the store is read in the pool."""
    hub = get_hub(request)
    access = request_access(request)
    if hub.federation is not None and hub.federation.signed_by_peer(request):
        client = await hub.federation.authenticate(request)  # a peer asks for one of its clients
        access.client = client
        await run_in_threadpool(hub.limiter.hit, client.client_id, limit=client.rate_limit)
        return client
    return await run_in_threadpool(_by_credential, hub, access, authorization, x_api_key)


def _by_credential(
    hub: Hub, access: Access, authorization: str | None, x_api_key: str | None
) -> Client:
    credential = x_api_key
    if credential is None and authorization is not None:
        scheme, _, value = authorization.partition(" ")
        credential = value if scheme.lower() == "bearer" else None
    if not credential:
        raise Refusal(
            401,
            "client.credentials",
            "send the client's API key (X-API-Key, or Authorization: Bearer) or a signed"
            " JWT client assertion (Authorization: Bearer)",
        )
    client = hub.clients.authenticate(credential)
    access.client = client
    hub.limiter.hit(client.client_id, limit=client.rate_limit)
    return client


async def stated_purpose(
    request: Request,
    client: Annotated[Client, Depends(authenticated_client)],
    x_service_item: Annotated[str | None, Header(description="事项编码")] = None,
    x_case_number: Annotated[str | None, Header(description="办件编号")] = None,
    x_operator: Annotated[str | None, Header(description="经办人 (percent-encoded)")] = None,
) -> Purpose:
    """The stated purpose of the request; refused when missing or for an unknown item.

    Asynchronous: it only reads headers and the catalog, so it runs on the event loop
    rather than taking a thread of the pool."""
    hub = get_hub(request)
    access = request_access(request)
    item, case_no = (x_service_item or "").strip(), (x_case_number or "").strip()
    operator = unquote(x_operator).strip()[:100] or None if x_operator else None
    if item and case_no:
        # Recorded before the checks, so a refusal's audit entry says what was stated.
        access.purpose = Purpose(item[:40], case_no[:64], operator)
    if not item or not case_no:
        missing = [h for h, v in (("X-Service-Item", item), ("X-Case-Number", case_no)) if not v]
        raise Refusal(
            403,
            "purpose.missing",
            f"every request states its purpose: send {' and '.join(missing)} (事项编码, 办件编号)",
        )
    if len(item) > 40 or len(case_no) > 64 or not case_no.isprintable():
        raise Refusal(
            422, "purpose.malformed", "X-Service-Item ≤ 40, X-Case-Number ≤ 64 characters"
        )
    if hub.items.get(item) is None:
        raise Refusal(403, "purpose.unknown_item", f"service item {item} is not in the catalog")
    assert access.purpose is not None
    return access.purpose


def answer(
    request: Request,
    payload: Any,
    *,
    resource: str | None = None,
    subject: str | None = None,
    fields: Sequence[str] = (),
    reason: str | None = None,
) -> Response:
    """The answer as JSON, signed, with its digest in the audit log before it leaves."""
    return document(
        request,
        _encode(payload),
        "application/json",
        resource=resource,
        subject=subject,
        fields=fields,
        reason=reason,
    )


def document(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    resource: str | None = None,
    subject: str | None = None,
    fields: Sequence[str] = (),
    reason: str | None = None,
) -> Response:
    """Any answer's bytes, signed and audited like :func:`answer` (``reason``: the peer
    hubs that supplied part of it, ``via peer <id>``)."""
    hub = get_hub(request)
    access = request_access(request)
    if resource is not None:
        access.resource = resource
    if subject is not None:
        access.subject = subject
    headers = {"X-Request-Id": access.request_id}
    if hub.config.sign_answers:
        headers[SIGNATURE_HEADER] = hub.signer.sign(body)
    digest = hashlib.sha256(body).hexdigest()
    entry = access.entry("allowed", 200, fields=fields, answer_sha256=digest, reason=reason)
    seq = hub.audit.append(entry)
    headers["X-Audit-Seq"] = str(seq)
    return Response(body, media_type=media_type, headers=headers)
