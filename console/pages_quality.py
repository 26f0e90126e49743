"""Quality review: the latest validations, quarantine by source and rule, one record as
received with its rule's message, and fix / reject / reprocess with the trail.

The actions are the library calls the CLI's ``tongban quarantine`` makes
(``Store.correct``, ``Store.reject``, ``connectors.review.reprocess``); the reviewer's
user name is the ``by`` of each correction, and each action is also a console event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from console.app import PREFIX
from console.queries import quarantine_page
from console.sessions import Session
from tongban.errors import TongbanError

if TYPE_CHECKING:
    from console.app import Console

REVIEWERS = ("reviewer",)
READERS = ("reviewer", "engineer")
STATUSES = ("open", "fixed", "rejected", "all")


def landed_key(console: Console, entry: dict[str, Any]) -> str | None:
    """The golden record a corrected entry became: its source's mapping of the record."""
    from connectors import compile_mapping, corrected
    from tongban.entities import entity as entity_spec

    definition = console.definitions().get(entry["source"])
    spec = entity_spec(entry["entity"])
    record = corrected(entry)
    try:
        fields = definition.fields_of(entry["entity"]) if definition else None
        mapped = compile_mapping(fields)(record) if fields is not None else record
    except Exception:
        return None
    key = mapped.get(spec.key)
    if key is None:
        return None
    try:
        from tongban.identifiers import check_credit_code, check_id_number

        if entry["entity"] == "person":
            return check_id_number(str(key), region_check=console.hub.region_check)
        if entry["entity"] == "enterprise":
            return check_credit_code(str(key))
    except TongbanError:
        return None
    return str(key)


def router(console: Console) -> APIRouter:
    r = APIRouter()

    @r.get("/quality", response_class=HTMLResponse)
    def overview(request: Request) -> Response:
        session = console.sessions.require(request, *READERS, "reporter")
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for row in console.store.validation_results(limit=200):
            latest.setdefault((row["source"], row["suite"]), row)
        return console.render(
            request,
            "quality.html",
            session,
            results=sorted(latest.values(), key=lambda v: v["source"]),
            counts=console.store.quarantine_counts(),
        )

    @r.get("/quality/quarantine", response_class=HTMLResponse)
    def quarantine(
        request: Request, status: str = "open", source: str = "", rule: str = "", after: int = 0
    ) -> Response:
        session = console.sessions.require(request, *READERS)
        status = status if status in STATUSES else "open"
        page = quarantine_page(
            console.store.engine,
            status=None if status == "all" else status,
            source=source or None,
            rule=rule or None,
            after=max(after, 0),
            limit=console.settings.page_size,
        )
        return console.render(
            request,
            "quarantine.html",
            session,
            page=page,
            status=status,
            source=source,
            rule=rule,
            after=after,
            statuses=STATUSES,
        )

    @r.get("/quality/quarantine/{entry_id}", response_class=HTMLResponse)
    def entry(request: Request, entry_id: int, done: str = "") -> Response:
        session = console.sessions.require(request, *READERS)
        try:
            found = console.store.quarantine_entry(entry_id)
        except TongbanError as exc:
            return console.render(
                request, "message.html", session, status_code=404, message=str(exc)
            )
        key = landed_key(console, found) if found["status"] == "fixed" else None
        return console.render(request, "entry.html", session, entry=found, landed=key, done=done)

    async def act(request: Request, entry_id: int, action: str) -> Response:
        session, form = await console.sessions.require_form(request, *REVIEWERS)
        return await run_in_threadpool(decide, request, session, form, entry_id, action)

    def decide(
        request: Request, session: Session, form: dict[str, Any], entry_id: int, action: str
    ) -> Response:
        by = session.user.username
        why = str(form.get("why", "")).strip()
        try:
            if action == "fix":
                field, value = str(form.get("field", "")), str(form.get("value", ""))
                if not why:
                    raise TongbanError(f"record {entry_id}: a correction needs a reason")
                console.store.correct(entry_id, field, value, by=by, why=why)
                console.record(
                    session, "quarantine.fix", str(entry_id), field=field, value=value, why=why
                )
                outcome = "fixed"
            elif action == "reject":
                if not why:
                    raise TongbanError(f"record {entry_id}: a rejection needs a reason")
                console.store.reject(entry_id, by=by, why=why)
                console.record(session, "quarantine.reject", str(entry_id), why=why)
                outcome = "rejected"
            else:
                from console.offload import reprocess_in_child

                report = reprocess_in_child(
                    console.store,
                    definitions=console.definitions(),
                    ids=[entry_id],
                    region_check=console.hub.region_check,
                )
                console.record(
                    session,
                    "quarantine.reprocess",
                    str(entry_id),
                    landed=report.landed,
                    runs=report.runs,
                    still_failing=[list(f) for f in report.still_failing],
                )
                outcome = "landed" if report.landed else "still_failing"
        except TongbanError as exc:
            found = console.store.quarantine_entry(entry_id)
            return console.render(
                request,
                "entry.html",
                session,
                status_code=400,
                entry=found,
                landed=None,
                done="",
                error=str(exc),
            )
        return RedirectResponse(
            f"{PREFIX}/quality/quarantine/{entry_id}?done={outcome}", status_code=303
        )

    @r.post("/quality/quarantine/{entry_id}/fix")
    async def fix(request: Request, entry_id: int) -> Response:
        return await act(request, entry_id, "fix")

    @r.post("/quality/quarantine/{entry_id}/reject")
    async def reject(request: Request, entry_id: int) -> Response:
        return await act(request, entry_id, "reject")

    @r.post("/quality/quarantine/{entry_id}/reprocess")
    async def reprocess_one(request: Request, entry_id: int) -> Response:
        return await act(request, entry_id, "reprocess")

    @r.post("/quality/docs/build")
    async def build_docs(request: Request) -> Response:
        session, _ = await console.sessions.require_form(request, *READERS)
        from console.datadocs import build_offline_docs

        count = await run_in_threadpool(build_offline_docs, console)
        console.record(session, "quality.docs", None, results=count)
        return RedirectResponse(f"{PREFIX}/docs/index.html", status_code=303)

    return r
