"""Case intake and the progress lookup over HTTP (办件上报, 进度可查), authenticated and
audited like every exchange route.

- ``POST /v1/cases/events``: one event (the JSON object of :mod:`exchange.cases.events`);
- ``POST /v1/cases/events/batch``: ``{"events": [...]}``, stored all or nothing;
- ``POST /v1/cases/{case_no}/rating``: the applicant's rating (好差评), ``{"event_id",
  "at", "score", "comment"}``, once per case;
- ``GET /v1/cases/{case_no}/progress?id_number=...``: the case's stages, deadline and
  cards, for the approval system's portal; the stated purpose (``X-Service-Item``,
  ``X-Case-Number``) names the case.

A refused event answers 422 with the rule it broke (``event.stage_order``, ...), and
nothing of the request is stored.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from exchange.cases.events import EventRefused
from exchange.cases.intake import IntakeResult, record_events
from exchange.cases.progress import case_progress
from exchange.clients import Client
from exchange.deps import Purpose, answer, authenticated_client, get_hub, stated_purpose
from exchange.errors import Refusal
from exchange.supervision.settings import SupervisionSettings

__all__ = ["router"]

router = APIRouter(tags=["cases"])
MAX_BATCH = 5000


@cache
def _supervision() -> SupervisionSettings:
    return SupervisionSettings()


def _intake(request: Request, client: Client, events: list[Any]) -> IntakeResult:
    if len(events) > MAX_BATCH:
        raise Refusal(422, "request.too_large", f"at most {MAX_BATCH} events a request")
    try:
        return record_events(get_hub(request).store, client.client_id, events,
                             repeat_window=_supervision().repeat_window)  # fmt: skip
    except EventRefused as exc:
        raise Refusal(422, exc.rule, exc.message) from None


def _outcome(result: IntakeResult) -> dict[str, Any]:
    return {"stored": result.stored, "duplicates": result.duplicates,
            "outcomes": result.outcomes,
            "cards": [{"case_no": c.case_no, "kind": c.kind} for c in result.cards]}  # fmt: skip


@router.post("/cases/events")
def post_event(
    request: Request,
    client: Annotated[Client, Depends(authenticated_client)],
    event: Annotated[dict[str, Any], Body(description="One case event")],
) -> Response:
    """Report one case event (收件, 受理, 审核, 办结, 挂起, 补正, 转报, ...)."""
    result = _intake(request, client, [event])
    return answer(request, _outcome(result), resource="case_event",
                  subject=str(event.get("case_no")))  # fmt: skip


@router.post("/cases/events/batch")
def post_events(
    request: Request,
    client: Annotated[Client, Depends(authenticated_client)],
    events: Annotated[list[dict[str, Any]], Body(embed=True, description="Case events")],
) -> Response:
    """Report many case events at once: all are stored, or none."""
    result = _intake(request, client, events)
    return answer(request, _outcome(result), resource="case_event")


@router.post("/cases/{case_no}/rating")
def post_rating(
    case_no: str,
    request: Request,
    client: Annotated[Client, Depends(authenticated_client)],
    rating: Annotated[dict[str, Any], Body(description="event_id, at, score 1-5, comment")],
) -> Response:
    """The applicant's rating of the service (好差评), once per case."""
    event = {**rating, "type": "rating", "case_no": case_no}
    result = _intake(request, client, [event])
    return answer(request, _outcome(result), resource="case_rating", subject=case_no)


@router.get("/cases/{case_no}/progress")
def get_progress(
    case_no: str,
    request: Request,
    purpose: Annotated[Purpose, Depends(stated_purpose)],
    id_number: Annotated[str, Query(description="The applicant's ID number or credit code")],
) -> Response:
    """进度可查: each stage with its time, the limit and deadline in working days, cards."""
    if purpose.case_no != case_no:
        raise Refusal(
            403,
            "purpose.case_mismatch",
            f"X-Case-Number {purpose.case_no} is not the case asked for, {case_no}",
        )
    found = case_progress(get_hub(request).store, case_no, id_number,
                          calendar=_supervision().calendar())  # fmt: skip
    if found is None:
        raise Refusal(404, "case.not_found", f"no case {case_no} for that applicant")
    return answer(request, found, resource="case_progress", subject=case_no)
