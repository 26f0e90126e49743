"""A citizen's question: who looked at my data, when, and for which case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from exchange.clients import Client
from exchange.deps import Purpose, answer, authenticated_client, request_access, stated_purpose
from exchange.hub import Hub
from exchange.lookup import normalize_subject
from exchange.policy import decide
from exchange.routes.records import Answer

__all__ = ["router"]

router = APIRouter(tags=["audit"])


@router.get("/subjects/{id_number}/accesses", response_model=Answer)
def accesses(
    id_number: str,
    request: Request,
    client: Annotated[Client, Depends(authenticated_client)],
    purpose: Annotated[Purpose, Depends(stated_purpose)],
) -> Response:
    """数据访问记录: every access to a person's data (a citizen portal holds the grant)."""
    hub: Hub = request.app.state.hub
    access = request_access(request)
    access.resource = "access_log"
    key = normalize_subject(hub, "person", id_number)
    access.subject = key
    res = hub.share.resource("access_log")
    view = decide(res, hub.grants.active_for(client.client_id, "access_log"), purpose.service_item)
    rows = [
        {
            "at": r["at"],
            "client": r["client_name"] or r["client_id"],
            "department": r["department"],
            "operator": r["operator"],
            "service_item": r["service_item"],
            "case_no": r["case_no"],
            "resource": r["resource"],
            "fields": r["fields"],
            "outcome": r["outcome"],
        }
        for r in hub.audit.for_subject(key)
    ]
    data = {"accesses": [{k: v for k, v in row.items() if k in view.fields} for row in rows]}
    payload = {
        "resource": "access_log",
        "title": res.title,
        "department": res.department,
        "subject": key[:6] + "*" * 8 + key[-4:],
        "data": data,
        "masked": [],
        "withheld": list(view.withheld),
        "request_id": access.request_id,
    }
    return answer(request, payload, resource="access_log", subject=key, fields=list(view.fields))
