"""Syncs started from the console: each runs in a thread of the console process and
reports its progress after every batch, which the sources page polls.

The run itself is the same ``connectors.sync_source`` the CLI and the DAGs call; it takes
the source's lock in the store, so a sync started here and one started by the scheduler
never run at once. The job table is this process's memory: what lasts is the run log.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tongban.pipeline import RunSummary

if TYPE_CHECKING:
    from console.app import Console

__all__ = ["SyncJob", "SyncJobs"]


@dataclass
class SyncJob:
    id: str
    source: str
    started_by: str
    started_at: str
    status: str = "running"  # running, succeeded, failed
    run_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    message: str = ""
    finished_at: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class SyncJobs:
    def __init__(self, console: Console, *, keep: int = 50):
        self.console = console
        self.keep = keep
        self._jobs: dict[str, SyncJob] = {}
        self._lock = threading.Lock()

    def start(self, source: str, *, by: str, full: bool = False) -> SyncJob:
        definitions = self.console.definitions()
        if source not in definitions:
            raise KeyError(f"unknown source {source!r}")
        job = SyncJob(
            id=uuid.uuid4().hex[:12],
            source=source,
            started_by=by,
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[: max(0, len(self._jobs) - self.keep)]:
                if self._jobs[old].status != "running":
                    del self._jobs[old]
        thread = threading.Thread(
            target=self._run,
            args=(job, definitions[source], full),
            name=f"sync-{source}",
            daemon=True,
        )
        thread.start()
        return job

    def get(self, job_id: str) -> SyncJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self) -> list[SyncJob]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def _run(self, job: SyncJob, definition: Any, full: bool) -> None:
        from connectors import sync_source

        hub = self.console.hub

        def progress(summary: RunSummary) -> None:
            with self._lock:
                job.run_id = summary.run_id
                job.counts = summary.counts()
                job.batches += 1

        try:
            summary = sync_source(
                self.console.store,
                definition,
                env=self.console.env,
                batch_size=hub.batch_size,
                region_check=hub.region_check,
                cache_dir=hub.cache_dir,
                on_batch=progress,
                worker=hub.sync_worker,
                group=hub.quality_group,
                full=full,
            )
        except Exception as exc:
            with self._lock:
                job.status, job.message = "failed", f"{type(exc).__name__}: {exc}"
                job.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
            self.console.users.record(
                job.started_by, "sync.failed", job.source, {"job": job.id, "message": job.message}
            )
            return
        with self._lock:
            job.run_id, job.counts = summary.run_id, summary.counts()
            job.status = "succeeded" if summary.status == "succeeded" else summary.status
            job.message = summary.message or ""
            job.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.console.users.record(
            job.started_by,
            "sync.finished",
            job.source,
            {"job": job.id, "run": job.run_id, **job.counts},
        )
