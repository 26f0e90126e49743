"""Sources and runs: each source's status, schedule, last run and cursor; a sync started
from the page with live progress; the run log; batches the quality gate held back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from console.app import PREFIX

if TYPE_CHECKING:
    from console.app import Console

ENGINEERS = ("engineer",)
READERS = ("engineer", "reviewer", "reporter")


def short_cursor(cursor: Any) -> str:
    if cursor is None:
        return ""
    if isinstance(cursor, dict) and "done" in cursor:  # file drops: a count, not every hash
        cursor = {**cursor, "done": f"{len(cursor['done'])} files"}
    text = json.dumps(cursor, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def router(console: Console) -> APIRouter:
    r = APIRouter()

    @r.get("/sources", response_class=HTMLResponse)
    def sources(request: Request) -> Response:
        session = console.sessions.require(request, *READERS)
        store = console.store
        cursors = store.sync_states()
        rows = []
        for name, d in console.definitions().items():
            recent = store.runs(source=name, limit=1)
            rows.append(
                {
                    "name": name,
                    "title": d.title,
                    "department": d.department,
                    "transport": d.transport.kind,
                    "entity": d.entity,
                    "schedule": d.schedule or "",
                    "last": recent[0] if recent else None,
                    "cursor": short_cursor(cursors.get(name, {}).get("cursor")),
                }
            )
        return console.render(
            request, "sources.html", session, sources=rows, jobs=console.jobs.recent()[:10]
        )

    @r.post("/sources/{name}/sync")
    async def start_sync(request: Request, name: str) -> Response:
        session, form = await console.sessions.require_form(request, *ENGINEERS)
        full = form.get("full") == "1"
        try:
            job = console.jobs.start(name, by=session.user.username, full=full)
        except KeyError:
            return console.render(
                request, "message.html", session, status_code=404, message=f"unknown source {name}"
            )
        console.record(session, "sync.start", name, job=job.id, full=full)
        return RedirectResponse(f"{PREFIX}/jobs/{job.id}", status_code=303)

    @r.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str) -> Response:
        session = console.sessions.require(request, *READERS)
        job = console.jobs.get(job_id)
        if job is None:
            return console.render(
                request,
                "message.html",
                session,
                status_code=404,
                message=f"no sync job {job_id} in this console process",
            )
        return console.render(request, "job.html", session, job=job)

    @r.get("/jobs/{job_id}/progress")
    def job_json(request: Request, job_id: str) -> Response:
        console.sessions.require(request, *READERS)
        job = console.jobs.get(job_id)
        if job is None:
            return JSONResponse({"error": f"no sync job {job_id}"}, status_code=404)
        return JSONResponse(job.as_json(), headers={"Cache-Control": "no-store"})

    @r.get("/runs", response_class=HTMLResponse)
    def runs(request: Request, source: str = "", limit: int = 50) -> Response:
        session = console.sessions.require(request, *READERS)
        found = console.store.runs(source=source or None, limit=min(max(limit, 1), 500))
        return console.render(
            request,
            "runs.html",
            session,
            runs=found,
            source=source,
            names=list(console.definitions()),
        )

    @r.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: str) -> Response:
        session = console.sessions.require(request, *READERS)
        run = console.store.run(run_id)
        if run is None:
            return console.render(
                request, "message.html", session, status_code=404, message=f"no run {run_id}"
            )
        results = [
            v
            for v in console.store.validation_results(source=run["source"], limit=200)
            if v["run_id"] == run_id
        ]
        return console.render(request, "run.html", session, run=run, results=results)

    @r.get("/held", response_class=HTMLResponse)
    def held(request: Request) -> Response:
        session = console.sessions.require(request, "engineer", "reviewer")
        batches = console.store.held_batches(status=None)
        return console.render(request, "held.html", session, batches=batches)

    return r
