"""E-licenses from the vault: a holder's licenses, one license, its documents, and verify."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel

from exchange.clients import Client
from exchange.deps import (
    Purpose,
    answer,
    authenticated_client,
    document,
    request_access,
    stated_purpose,
)
from exchange.errors import Refusal, from_record_error
from exchange.hub import Hub
from exchange.lookup import normalize_subject
from exchange.policy import View, decide, mask, shape
from tongban.errors import RecordError
from tongban.identifiers._text import clean_code

__all__ = ["license_entry", "licenses_of", "router"]

router = APIRouter(tags=["licenses"])
ClientDep = Annotated[Client, Depends(authenticated_client)]
PurposeDep = Annotated[Purpose, Depends(stated_purpose)]
_STATUSES = ("valid", "expired", "superseded", "revoked")


class LicenseList(BaseModel):
    holder: str
    licenses: list[dict[str, Any]]
    request_id: str


class LicenseAnswer(BaseModel):
    resource: str
    data: dict[str, Any]
    masked: list[str]
    links: dict[str, str]
    request_id: str


class VerdictAnswer(BaseModel):
    ok: bool
    kind: str
    identifier: str | None
    license_status: str | None
    authority: str | None
    reasons: list[dict[str, str]]
    request_id: str


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def holder_key(hub: Hub, raw: str) -> str:
    """A holder is a person (ID number) or an enterprise (credit code)."""
    cleaned = clean_code(raw)
    if len(cleaned) == 15 or (len(cleaned) == 18 and cleaned[:17].isdigit()):
        try:
            return normalize_subject(hub, "person", raw)
        except Refusal:
            if len(cleaned) == 15:
                raise
    return normalize_subject(hub, "enterprise", raw)


def _status(row: Any) -> str:
    if row.status == "valid" and row.valid_until is not None and row.valid_until < date.today():
        return "expired"
    return str(row.status)


def _links(identifier: str) -> dict[str, str]:
    base = f"/v1/licenses/{identifier}"
    return {"self": base, "pdf": f"{base}/pdf", "jws": f"{base}/jws"}


def license_entry(hub: Hub, row: Any) -> dict[str, Any]:
    """One e-license in a list: with every holder (共有), a citizen's ID number masked."""
    types = hub.vault.catalog
    name = types.get(row.license_type_code).name if row.license_type_code in types else None
    held = hub.store.get("license", row.license_key) or {}
    return {
        "identifier": row.identifier,
        "license_type_code": row.license_type_code,
        "license_type_name": name,
        "version": row.version,
        "status": _status(row),
        "issuer_code": row.issuer_code,
        "valid_until": row.valid_until,
        "issued_at": row.issued_at,
        "holders": mask("holders", held.get("holders")),
        "links": _links(row.identifier),
    }


def licenses_of(
    hub: Hub, holder: str, *, type_code: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """The holder's e-licenses (every version), filtered by type and status."""
    entries = [license_entry(hub, r) for r in hub.vault.list(holder_id=holder)]
    return [
        e
        for e in entries
        if (type_code is None or e["license_type_code"] == type_code)
        and (status is None or e["status"] == status)
    ]


def _view(hub: Hub, client: Client, purpose: Purpose) -> View:
    res = hub.share.resource("license")
    return decide(res, hub.grants.active_for(client.client_id, "license"), purpose.service_item)


@router.get("/licenses", response_model=LicenseList)
def holder_licenses(
    request: Request,
    client: ClientDep,
    purpose: PurposeDep,
    holder: Annotated[str, Query(description="ID number or credit code of the holder")],
    type: Annotated[str | None, Query(description="GB/T 36902 type code")] = None,
    status: Annotated[str | None, Query(description=" | ".join(_STATUSES))] = None,
) -> Response:
    """The e-licenses of a holder."""
    hub = _hub(request)
    access = request_access(request)
    access.resource = "license"
    key = holder_key(hub, holder)
    access.subject = key
    if status is not None and status not in _STATUSES:
        raise Refusal(422, "license.status", f"status is one of {', '.join(_STATUSES)}")
    _view(hub, client, purpose)
    found = licenses_of(hub, key, type_code=type, status=status)
    payload = {
        "holder": mask("id_number", key) if key[:17].isdigit() else key,
        "licenses": found,
        "request_id": access.request_id,
    }
    return answer(
        request, payload, resource="license", subject=key, fields=[e["identifier"] for e in found]
    )


def _row(hub: Hub, identifier: str) -> Any:
    from license_vault import parse_identifier

    try:
        text = str(parse_identifier(identifier.strip()))
    except RecordError as exc:
        raise from_record_error(exc) from None
    try:
        return hub.vault.show(text)
    except RecordError:
        raise Refusal(404, "license.unknown", f"no e-license {text}") from None


@router.get("/licenses/{identifier}", response_model=LicenseAnswer)
def one_license(
    identifier: str, request: Request, client: ClientDep, purpose: PurposeDep
) -> Response:
    """One e-license's metadata (GB/T 36903), masked by policy."""
    hub = _hub(request)
    access = request_access(request)
    access.resource, access.subject = "license", identifier[:120]
    view = _view(hub, client, purpose)
    row = _row(hub, identifier)
    access.subject = row.holder_id or row.identifier
    record = dict(hub.store.get("license", row.license_key) or {})
    entry = license_entry(hub, row)
    del entry["holders"]  # the policy masks the record's own, as the view says
    record.update(entry)
    data = shape(record, view, hub.share.resource("license"))
    payload = {
        "resource": "license",
        "data": data,
        "masked": sorted(view.masked),
        "links": _links(row.identifier),
        "request_id": access.request_id,
    }
    return answer(request, payload, resource="license", subject=access.subject, fields=list(data))


def _document(
    request: Request, client: Client, purpose: Purpose, identifier: str, kind: str
) -> Response:
    hub = _hub(request)
    access = request_access(request)
    access.resource, access.subject = "license", identifier[:120]
    _view(hub, client, purpose)
    row = _row(hub, identifier)
    body = hub.vault.document(row.identifier, kind)
    media = "application/pdf" if kind == "pdf" else "application/jose"
    return document(
        request,
        body,
        media,
        resource="license",
        subject=row.holder_id or row.identifier,
        fields=[f"{row.identifier}.{kind}"],
    )


_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}, "application/jose": {}}}
}


@router.get("/licenses/{identifier}/pdf", response_class=Response, responses=_DOC)
def license_pdf(
    identifier: str, request: Request, client: ClientDep, purpose: PurposeDep
) -> Response:
    """The sealed PDF (PAdES), as the vault stored it."""
    return _document(request, client, purpose, identifier, "pdf")


@router.get("/licenses/{identifier}/jws", response_class=Response, responses=_DOC)
def license_jws(
    identifier: str, request: Request, client: ClientDep, purpose: PurposeDep
) -> Response:
    """The license data as a compact JWS sealed by the issuing authority."""
    return _document(request, client, purpose, identifier, "jws")


@router.post("/verify", response_model=VerdictAnswer)
def verify(
    request: Request,
    client: ClientDep,
    purpose: PurposeDep,
    document: Annotated[UploadFile | None, File(description="a PDF or JWS to check")] = None,
    identifier: Annotated[str | None, Form(description="or the license identifier")] = None,
) -> Response:
    """The vault's verdict on an uploaded PDF or JWS, or on the stored document of an
    identifier, with the reasons when it fails."""
    hub = _hub(request)
    access = request_access(request)
    access.resource = "license"
    if document is not None:
        data = document.file.read(20 * 1024 * 1024 + 1)
        if not data or len(data) > 20 * 1024 * 1024:
            raise Refusal(422, "verify.document", "send a PDF or JWS of 1 byte to 20 MiB")
    elif identifier:
        row = _row(hub, identifier)
        access.subject = row.identifier
        data = hub.vault.document(row.identifier, "pdf")
    else:
        raise Refusal(422, "verify.nothing", "send a document (PDF or JWS) or an identifier")
    verdict = hub.vault.verify(data)
    access.subject = verdict.identifier or access.subject
    payload = {
        "ok": verdict.ok,
        "kind": verdict.kind,
        "identifier": verdict.identifier,
        "license_status": verdict.license_status,
        "authority": verdict.authority,
        "reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons],
        "request_id": access.request_id,
    }
    return answer(request, payload, resource="license", subject=access.subject, fields=["verdict"])
