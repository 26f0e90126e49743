"""Service items (政务服务事项) and the evidence directory for an applicant and a case."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from exchange.catalog import ServiceItem
from exchange.clients import Client
from exchange.deps import (
    Access,
    Purpose,
    answer,
    authenticated_client,
    request_access,
    stated_purpose,
)
from exchange.errors import Refusal
from exchange.evidence import Directory, complete, gather
from exchange.hub import Hub
from exchange.lookup import normalize_subject

__all__ = ["router"]

router = APIRouter(tags=["service items"])


class MaterialOut(BaseModel):
    code: str
    name: str
    supplied_by_hub: bool
    resource: str | None
    license_type: str | None


class ItemOut(BaseModel):
    code: str
    name: str
    category: str
    department: str
    time_limit_days: int
    applicant: str
    materials: list[MaterialOut]


class Evidence(BaseModel):
    item: dict[str, Any]
    applicant: str
    case_no: str
    supplied: list[dict[str, Any]]
    to_bring: list[dict[str, Any]]
    proofs_saved: int
    request_id: str


def _out(item: ServiceItem) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "category": item.category,
        "department": item.department,
        "time_limit_days": item.time_limit_days,
        "applicant": item.applicant,
        "materials": [
            {
                "code": m.code,
                "name": m.name,
                "supplied_by_hub": m.supplied_by_hub,
                "resource": m.resource,
                "license_type": m.license_type,
            }
            for m in item.materials
        ],
    }


def _item(request: Request, code: str) -> ServiceItem:
    hub: Hub = request.app.state.hub
    item = hub.items.get(code)
    if item is None:
        raise Refusal(404, "item.unknown", f"service item {code[:40]} is not in the catalog")
    return item


@router.get("/items", response_model=list[ItemOut])
def items(request: Request, client: Annotated[Client, Depends(authenticated_client)]) -> Response:
    """The service-item catalog."""
    hub: Hub = request.app.state.hub
    request_access(request).resource = "items"
    return answer(request, [_out(i) for i in hub.items.items.values()], resource="items")


@router.get("/items/{code}", response_model=ItemOut)
def item(
    code: str, request: Request, client: Annotated[Client, Depends(authenticated_client)]
) -> Response:
    """One service item: category, department, time limit, materials."""
    request_access(request).resource = "items"
    return answer(request, _out(_item(request, code)), resource="items")


@router.get("/items/{code}/evidence", response_model=Evidence)
async def evidence(
    code: str,
    request: Request,
    client: Annotated[Client, Depends(authenticated_client)],
    purpose: Annotated[Purpose, Depends(stated_purpose)],
    applicant: Annotated[str, Query(description="ID number or credit code of the applicant")],
) -> Response:
    """Which materials the hub supplies now for this applicant and case, and which the
    applicant must still bring. A material a peer hub holds is asked of that peer (its
    signed answer in ``proof``); if a peer cannot answer now, the whole directory is
    refused (503 naming the peer), never given in part."""
    hub: Hub = request.app.state.hub
    access = request_access(request)
    access.resource = "evidence"
    found = _item(request, code)
    key, directory = await run_in_threadpool(_local, hub, access, client, purpose, found, applicant)
    body, reason = directory.body, None
    if directory.pending:
        from exchange.federation.evidence import ask_peers
        from exchange.federation.relay import refuse

        assert hub.federation is not None  # only a federation leaves a material pending
        outcome = await ask_peers(hub.federation, access, directory.pending, key)
        if outcome.failure is not None:
            f = outcome.failure
            refused = await run_in_threadpool(
                refuse, hub, request, f.status, f.rule, f.message, f.peer
            )
            if f.retry_after is not None and f.retry_after.isdigit():
                refused.headers["Retry-After"] = f.retry_after
            return refused
        body["supplied"] += outcome.supplied
        body["to_bring"] += outcome.to_bring
        if outcome.peers:
            reason = "via peer " + ",".join(outcome.peers)
    complete(found, body)
    body["request_id"] = access.request_id
    return await run_in_threadpool(
        partial(answer, resource="evidence", subject=key, reason=reason),
        request,
        body,
        fields=[m["material"] for m in body["supplied"]],
    )


def _local(
    hub: Hub,
    access: Access,
    client: Client,
    purpose: Purpose,
    found: ServiceItem,
    applicant: str,
) -> tuple[str, Directory]:
    if purpose.service_item != found.code:
        raise Refusal(
            403,
            "purpose.mismatch",
            f"the request states item {purpose.service_item}; this is item {found.code}",
        )
    key = normalize_subject(hub, found.applicant, applicant)
    access.subject = key
    return key, gather(hub, client, purpose, found, key)
