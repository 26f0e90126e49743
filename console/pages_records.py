"""Golden records: a person or an enterprise with each field's provenance, its history
(and the record as the hub knew it on a given day), and the conflicts between sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.app import PREFIX
from tongban.entities import ENTITIES
from tongban.errors import RecordError
from tongban.identifiers import check_credit_code, check_id_number

if TYPE_CHECKING:
    from console.app import Console

READERS = ("engineer", "reviewer")
SEARCHABLE = ("person", "enterprise")


def _as_of(value: str) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if len(value) == 10:  # a date: the end of that day
        parsed = parsed.replace(hour=23, minute=59, second=59)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _changes(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    previous: dict[str, Any] = {}
    out = []
    for v in history:
        changed = [f for f, val in v["data"].items() if previous.get(f) != val and val is not None]
        out.append({**v, "changed": changed})
        previous = v["data"]
    return out


def router(console: Console) -> APIRouter:
    r = APIRouter()

    @r.get("/records", response_class=HTMLResponse)
    def search(request: Request, entity: str = "person", key: str = "") -> Response:
        session = console.sessions.require(request, *READERS)
        entity = entity if entity in SEARCHABLE else "person"
        error = ""
        if key.strip():
            try:
                checked = (
                    check_id_number(key, region_check=console.hub.region_check)
                    if entity == "person"
                    else check_credit_code(key)
                )
            except RecordError as exc:
                error = f"{key}: {exc.rule}: {exc.message}"
            else:
                return RedirectResponse(f"{PREFIX}/records/{entity}/{checked}", status_code=303)
        recent = {e: console.store.keys(e, limit=10) for e in SEARCHABLE}
        return console.render(
            request, "records.html", session, entity=entity, key=key, error=error, recent=recent
        )

    @r.get("/records/{entity}/{key}", response_class=HTMLResponse)
    def record(request: Request, entity: str, key: str, as_of: str = "") -> Response:
        session = console.sessions.require(request, *READERS)
        if entity not in ENTITIES:
            return console.render(
                request,
                "message.html",
                session,
                status_code=404,
                message=f"unknown entity {entity}",
            )
        try:
            when = _as_of(as_of)
        except ValueError:
            return console.render(
                request,
                "message.html",
                session,
                status_code=400,
                message=f"{as_of!r} is not an ISO date or date-time",
            )
        store = console.store
        if when is not None:
            version = store.as_of(entity, key, when)
            data = dict(version["data"]) if version else None
            provenance = version["provenance"] if version else {}
            number = version["version"] if version else None
        else:
            found = store.get(entity, key)
            data, provenance = found, (found or {}).get("provenance", {})
            number = found["version"] if found else None
        if data is None and when is None:
            return console.render(
                request,
                "message.html",
                session,
                status_code=404,
                message=f"no {entity} with key {key}",
            )
        spec = ENTITIES[entity]
        fields = [
            {
                "name": f,
                "value": (data or {}).get(f),
                "origin": provenance.get(f) or ({"source": "(key)"} if f == spec.key else {}),
            }
            for f in (spec.key, *spec.fields)
        ]
        return console.render(
            request,
            "record.html",
            session,
            entity=entity,
            key=key,
            as_of=as_of,
            known=data is not None,
            version=number,
            fields=fields,
            history=_changes(store.history(entity, key)),
            conflicts=store.conflicts(entity, key),
        )

    return r
