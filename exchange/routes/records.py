"""People and enterprises: lookups by identifier, and the match without an ID number."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from exchange.clients import Client
from exchange.deps import Purpose, answer, authenticated_client, request_access, stated_purpose
from exchange.errors import Refusal
from exchange.hub import Hub
from exchange.lookup import lookup, normalize_subject
from tongban.errors import RecordError
from tongban.identifiers import clean_code
from tongban.normalize import clean_text
from tongban.store import schema

__all__ = ["Answer", "router"]

router = APIRouter(tags=["records"])
ClientDep = Annotated[Client, Depends(authenticated_client)]
PurposeDep = Annotated[Purpose, Depends(stated_purpose)]


class Answer(BaseModel):
    """A resource of one subject: the fields this client may see, masked where required."""

    resource: str
    title: str
    department: str
    subject: str = Field(description="the subject's identifier (an ID number masked)")
    data: dict[str, Any]
    masked: list[str]
    withheld: list[str] = Field(description="conditional fields no grant opened")
    request_id: str


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _resource_answer(
    request: Request, client: Client, purpose: Purpose, resource: str, entity: str, raw: str
) -> Response:
    hub = _hub(request)
    access = request_access(request)
    access.resource = resource
    key = normalize_subject(hub, entity, raw)
    access.subject = key
    found = lookup(hub, client, purpose, resource, key)
    return answer(
        request,
        found.payload(hub, access.request_id),
        resource=resource,
        subject=key,
        fields=list(found.data),
    )


@router.get("/people/{id_number}", response_model=Answer)
def person(id_number: str, request: Request, client: ClientDep, purpose: PurposeDep) -> Response:
    """人口基础信息 (公安): a person by citizen ID number (15 or 18 digits, any width)."""
    return _resource_answer(request, client, purpose, "person", "person", id_number)


@router.get("/people/{id_number}/marriage", response_model=Answer)
def marriage(id_number: str, request: Request, client: ClientDep, purpose: PurposeDep) -> Response:
    """婚姻登记信息 (民政): conditional, needs a grant."""
    return _resource_answer(request, client, purpose, "marriage", "person", id_number)


@router.get("/people/{id_number}/insurance", response_model=Answer)
def insurance(id_number: str, request: Request, client: ClientDep, purpose: PurposeDep) -> Response:
    """社会保险参保信息 (人社): conditional, needs a grant."""
    return _resource_answer(request, client, purpose, "insurance", "person", id_number)


@router.get("/enterprises/{credit_code}", response_model=Answer)
def enterprise(
    credit_code: str, request: Request, client: ClientDep, purpose: PurposeDep
) -> Response:
    """市场主体登记信息 (市场监管): an enterprise by unified social credit code."""
    return _resource_answer(request, client, purpose, "enterprise", "enterprise", credit_code)


class MatchQuery(BaseModel):
    """What a caller holds without the ID number: it must single out one person."""

    name: str = Field(min_length=1, max_length=100, description="姓名")
    birth_date: date = Field(description="出生日期")
    id_number_suffix: str = Field(
        min_length=4, max_length=8, description="the last 4 to 8 characters of the ID number"
    )


@router.post("/people/match", response_model=Answer)
def match(query: MatchQuery, request: Request, client: ClientDep, purpose: PurposeDep) -> Response:
    """Exactly one person, or a refusal: 404 none, 409 several. Never a list, never fuzzy."""
    hub = _hub(request)
    access = request_access(request)
    access.resource = "person"
    name = clean_text(query.name)
    suffix = clean_code(query.id_number_suffix)
    if not name or not suffix.isalnum() or not suffix[:-1].isdigit():
        raise Refusal(422, "match.malformed", "a name and the ID number's last characters")
    # Policy first: a client refused the resource learns nothing from a match.
    from exchange.policy import decide

    res = hub.share.resource("person")
    decide(res, hub.grants.active_for(client.client_id, "person"), purpose.service_item)
    p = schema.person
    q = (
        select(p.c.id_number)
        .where(p.c.name == name, p.c.birth_date == query.birth_date)
        .where(p.c.id_number.endswith(suffix, autoescape=True))
        .limit(2)
    )
    with hub.store.engine.connect() as conn:
        keys = list(conn.execute(q).scalars())
    if not keys:
        raise Refusal(404, "subject.not_found", "no person matches these attributes")
    if len(keys) > 1:
        raise Refusal(
            409,
            "subject.ambiguous",
            "more than one person matches; send more of the ID number",
        )
    try:
        return _resource_answer(request, client, purpose, "person", "person", keys[0])
    except RecordError as exc:  # a stored number the rules no longer accept
        raise Refusal(422, exc.rule, exc.message) from None
