"""Syncs started from the console: each runs in a process of its own
(``console.offload``), watched by a thread of the console process that records its
progress after every batch, which the sources page polls.

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
        from console.offload import sync_in_child

        outcome: tuple[Any, ...] = ("failed", "the sync did not start")
        for message in sync_in_child(
            self.console.store, definition, env=self.console.env, hub=self.console.hub,
            full=full,
        ):  # fmt: skip
            if message[0] == "batch":
                with self._lock:
                    job.run_id, job.counts = message[1], message[2]
                    job.batches += 1
            else:
                outcome = message
        if outcome[0] == "failed":
            with self._lock:
                job.status, job.message = "failed", outcome[1]
                job.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
            self.console.users.record(
                job.started_by, "sync.failed", job.source, {"job": job.id, "message": job.message}
            )
            return
        _, run_id, counts, status, message = outcome
        with self._lock:
            job.run_id, job.counts = run_id, counts
            job.status = status
            job.message = message or ""
            job.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.console.users.record(
            job.started_by,
            "sync.finished",
            job.source,
            {"job": job.id, "run": job.run_id, **job.counts},
        )
