"""The vault over HTTP: verify page, RFC 3161 TSA, CRLs and OCSP (a FastAPI router).

The exchange app mounts it with one line, ``app.include_router(license_vault.http.router)``;
every path starts with ``/licenses``:

``GET  /licenses/verify?id=<identifier>``  the verdict: a page for a person's phone (the
     QR code points here), JSON for a program (``Accept: application/json`` or
     ``format=json``); without ``id`` a form to upload a document
``POST /licenses/verify``  a PDF or JWS (multipart ``file``, or the raw body), or a form
     field ``id``
``POST /licenses/tsa``  RFC 3161 over HTTP (``application/timestamp-query``)
``GET  /licenses/pki/crl/<root>.crl``  the CRL a hub root publishes (the URL its
     certificates name)
``POST /licenses/pki/ocsp``, ``GET /licenses/pki/ocsp/<base64 request>``  OCSP (RFC 6960)
``GET  /licenses/pki/root.crt``  the current hub root certificate (DER)

The vault comes from :func:`current_vault`: the app's own when it sets
``app.state.current_vault`` (a callable returning it, as the exchange does), else one from
the environment's settings, built once. A test may still use
``app.dependency_overrides[current_vault]``; an app should not, since any override makes
FastAPI re-read every route's dependencies on every request.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from license_vault.checkpage import VerifySummary, render_form, render_page
from license_vault.document import LicenseData
from license_vault.issue import Vault, one_line
from license_vault.jws import JwsError, parse_compact
from license_vault.revocation import RevocationAuthority
from license_vault.verify import Verdict
from tongban.errors import TongbanError

__all__ = ["current_vault", "router"]

router = APIRouter(prefix="/licenses", tags=["license vault"])
_MAX_UPLOAD = 8 * 1024 * 1024


def _answers(kinds: dict[int, tuple[str, ...]]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses: each status with the media types it is answered in."""
    return {
        status: {"description": "", "content": {media: {} for media in media_types}}
        for status, media_types in kinds.items()
    }


_PAGE = ("text/html", "application/json")  # a person's phone, or a program
_VERIFY = _answers({200: _PAGE, 400: _PAGE, 413: _PAGE})


def current_vault(request: Request) -> Vault:
    """The app's vault (``app.state.current_vault``), else the one of the environment."""
    provide = getattr(request.app.state, "current_vault", None)
    if provide is not None:
        vault: Vault = provide()
        return vault
    return _environment_vault()


@lru_cache(maxsize=1)
def _environment_vault() -> Vault:
    """The vault of the hub this process serves (``TONGBAN_*`` settings)."""
    from license_vault.settings import load_vault_settings
    from tongban.settings import load_settings
    from tongban.store import Store

    hub = load_settings()
    return Vault(Store(hub.store_url), load_vault_settings(hub))


VaultDep = Annotated[Vault, Depends(current_vault)]


def _wants_json(request: Request) -> bool:
    if request.query_params.get("format") == "json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _answer(request: Request, vault: Vault, verdict: Verdict, data: LicenseData | None) -> Response:
    if data is None and verdict.identifier:
        data = _stored_data(vault, verdict.identifier)
    summary = VerifySummary.of(verdict, data)
    if _wants_json(request):
        return JSONResponse(summary.as_json())
    return HTMLResponse(render_page(summary))


def _stored_data(vault: Vault, identifier: str) -> LicenseData | None:
    try:
        return LicenseData.from_json(parse_compact(vault.document(identifier, "jws")).payload)
    except (TongbanError, JwsError, ValueError, TypeError):
        return None


def _by_identifier(vault: Vault, identifier: str) -> Verdict:
    try:
        document = vault.document(identifier, "pdf")
    except TongbanError as exc:
        verdict = Verdict("unknown", identifier=identifier, license_status="unknown")
        rule = getattr(exc, "rule", "license.unknown")
        verdict.fail(rule, one_line(exc).removeprefix(f"{rule}: "))
        return verdict
    return vault.verify(document)


@router.get("/verify", response_model=None, responses=_VERIFY)
def verify_get(request: Request, vault: VaultDep, id: str | None = None) -> Response:
    """The verdict for an identifier (what the QR code opens), or the upload form."""
    if not id:
        if _wants_json(request):
            return JSONResponse({"error": "give ?id=<identifier> or POST a document"}, 400)
        return HTMLResponse(render_form())
    return _answer(request, vault, _by_identifier(vault, id.strip()), None)


@router.post("/verify", response_model=None, responses=_VERIFY)
async def verify_post(request: Request, vault: VaultDep) -> Response:
    """The verdict for an uploaded PDF or JWS, or a form's identifier."""
    content_type = request.headers.get("content-type", "")
    document: bytes | None = None
    identifier: str | None = None
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        upload = form.get("file")
        if upload is not None and not isinstance(upload, str):
            document = await upload.read(_MAX_UPLOAD + 1)
        text_id = form.get("id")
        if isinstance(text_id, str) and text_id.strip():
            identifier = text_id.strip()
    else:
        document = await request.body()
    if document is not None and len(document) > _MAX_UPLOAD:
        return _bad(request, "the document is larger than 8 MiB", 413)
    # Verification drives pyHanko's own event loop: it runs in a worker thread.
    if document:
        verdict = await run_in_threadpool(vault.verify, document)
        return await run_in_threadpool(_answer, request, vault, verdict, None)
    if identifier:
        verdict = await run_in_threadpool(_by_identifier, vault, identifier)
        return await run_in_threadpool(_answer, request, vault, verdict, None)
    return _bad(request, "upload a PDF or JWS, or give an identifier", 400)


def _bad(request: Request, message: str, code: int) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message}, code)
    return HTMLResponse(render_form(message), code)


@router.post("/tsa", responses=_answers({200: ("application/timestamp-reply",)}))
async def timestamp(request: Request, vault: VaultDep) -> Response:
    """RFC 3161: a TimeStampReq in, a TimeStampResp out (a rejection names the fault)."""
    body = await request.body()
    answer = vault.seals.hub_tsa().respond(body)
    return Response(answer, media_type="application/timestamp-reply")


@router.get(
    "/pki/crl/{crl_name}",
    responses=_answers({200: ("application/pkix-crl",), 404: ("text/plain",)}),
)
def crl(crl_name: str, vault: VaultDep) -> Response:
    root_id = crl_name.removesuffix(".crl")
    if len(root_id) != 16 or any(c not in "0123456789abcdef" for c in root_id):
        return Response("no such CRL\n", 404, media_type="text/plain")
    try:
        der = RevocationAuthority(vault.seals).crl(root_id)
    except KeyError:
        return Response("no such CRL\n", 404, media_type="text/plain")
    return Response(der, media_type="application/pkix-crl")


@router.post("/pki/ocsp", responses=_answers({200: ("application/ocsp-response",)}))
async def ocsp_post(request: Request, vault: VaultDep) -> Response:
    answer = RevocationAuthority(vault.seals).ocsp_answer(await request.body())
    return Response(answer, media_type="application/ocsp-response")


@router.get("/pki/ocsp/{encoded:path}", responses=_answers({200: ("application/ocsp-response",)}))
def ocsp_get(encoded: str, vault: VaultDep) -> Response:
    try:
        der = base64.b64decode(encoded.replace("%2B", "+").replace("%2F", "/"), validate=True)
    except (binascii.Error, ValueError):
        der = b""
    answer = RevocationAuthority(vault.seals).ocsp_answer(der)
    return Response(answer, media_type="application/ocsp-response")


@router.get("/pki/root.crt", responses=_answers({200: ("application/pkix-cert",)}))
def root_certificate(vault: VaultDep) -> Response:
    der = vault.seals.root().certificate.public_bytes(serialization.Encoding.DER)
    return Response(der, media_type="application/pkix-cert")
