"""The standard battery every source definition gets for free, as the Singer SDK
generates the same tests for every tap: run it on a definition and the environment
that reaches its system.

    >>> check_source(definition, env, tmp_path, expected_records=400)  # doctest: +SKIP

It checks that the definition syncs from its system and reconciles (every record read
ends stored or quarantined, the mapping matching the system's own schema); that paging
neither skips nor repeats across page boundaries (small pages leave exactly what large
pages leave); that an incremental run after a full one brings nothing new; that a real
``tongban sync`` killed with SIGKILL after it committed part of the records, then run
again, leaves the store exactly as an uninterrupted sync (checksum); and that wrong
credentials, where the system has any, are refused with the system's own message.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors import sync_source
from connectors.definition import SourceDefinition, load_definition
from tongban import SyncOptions
from tongban.errors import FatalError
from tongban.store import Store

_SECRET_ENV = ("password_env", "secret_env", "token_env", "key_env")


def _paged(definition: SourceDefinition, size: int) -> SourceDefinition:
    t = definition.transport
    if t.kind == "rest":
        pagination: Any = t.pagination  # type: ignore[union-attr]
        if pagination.kind == "window":  # the system's own paging inside each window
            within = pagination.within.model_copy(update={"limit": size})
            pagination = pagination.model_copy(update={"within": within})
        else:
            pagination = pagination.model_copy(update={"limit": size})
        t = t.model_copy(update={"pagination": pagination})
    else:
        t = t.model_copy(update={"page_size": size})
    return definition.model_copy(update={"transport": t})


def tongban_command(*args: str) -> list[str]:
    """The ``tongban`` command as a child process runs it."""
    return [sys.executable, "-c", "from cli import main; main()", *args]


def _paged_file(definition: SourceDefinition, size: int, directory: Path) -> Path:
    """The definition's YAML file with pages of ``size``, in ``directory``."""
    assert definition.path is not None, "the kit needs the definition's file"
    data = yaml.safe_load(definition.path.read_text("utf-8"))
    t = data["transport"]
    if t["kind"] == "rest":
        pagination = t["pagination"]
        if pagination["kind"] == "window":
            pagination = pagination.setdefault("within", {"kind": "cursor"})
        pagination["limit"] = size
    else:
        t["page_size"] = size
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{definition.name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def kill_mid_sync(
    definition: SourceDefinition,
    env: dict[str, str],
    directory: Path,
    *,
    before: tuple[SourceDefinition, ...] = (),
    page: int = 3,
) -> Store:
    """Run ``tongban sync`` on ``definition`` in a child process with small pages, each
    committed on its own (so that the writing takes a while), SIGKILL it once the run
    log shows records committed, and sync again: the store that results."""
    store = _store(directory / "killed.db")
    for other in before:
        assert sync_source(store, other, SyncOptions(), env=env).status == "succeeded"
    sources = directory / "killed-sources"
    paged = _paged_file(definition, page, sources)
    child_env = {
        **os.environ, **env,
        "TONGBAN_DATABASE_URL": str(store.engine.url),
        "TONGBAN_DATA_DIR": str(directory / "killed-data"),
        "TONGBAN_SOURCES_DIR": str(sources),
        "TONGBAN_BATCH_SIZE": str(page),
    }  # fmt: skip
    name = definition.name
    sync = subprocess.Popen(
        tongban_command("sync", name), env=child_env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    committed = 0
    deadline = time.monotonic() + 180  # a wait limit: a loaded machine starts slowly
    try:
        while time.monotonic() < deadline:
            runs = store.runs(source=name)
            committed = sum(r["inserted"] + r["quarantined"] + r["updated"] for r in runs)
            if committed:
                break
            assert sync.poll() is None, "the sync ended before it committed anything: " + (
                sync.stderr.read().decode() if sync.stderr else ""
            )
            time.sleep(0.005)
        finished_first = sync.poll() is not None
        sync.send_signal(signal.SIGKILL)
    finally:
        sync.kill()
        sync.wait()
        if sync.stderr:
            sync.stderr.close()
    assert committed, "the sync committed nothing before the wait limit"
    assert not finished_first, "the sync finished before it could be killed"
    [killed] = store.runs(source=name)
    assert killed["status"] == "running"  # it never got to say anything
    resumed = sync_source(store, load_definition(paged), SyncOptions(), env=env)
    assert resumed.status == "succeeded", resumed
    assert store.runs(source=name)[1]["status"] == "interrupted"
    return store


def _store(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    store.migrate()
    return store


def check_source(
    definition: SourceDefinition,
    env: dict[str, str],
    directory: Path,
    *,
    expected_records: int | None = None,
    small_page: int = 7,
    large_page: int = 1000,
    before: tuple[SourceDefinition, ...] = (),
) -> None:
    """``before``: sources to sync first (a license source checks its holders are
    stored)."""
    small, large = _store(directory / "small.db"), _store(directory / "large.db")
    try:
        for other in before:
            for store in (small, large):
                assert sync_source(store, other, SyncOptions(), env=env).status == "succeeded"
        first = sync_source(small, _paged(definition, small_page), SyncOptions(), env=env)
        assert first.status == "succeeded" and first.reconciles, first
        assert first.pages > 1, "the system served everything on one page; no boundary tested"
        if expected_records is not None:
            assert first.read == expected_records
        whole = sync_source(large, _paged(definition, large_page), SyncOptions(), env=env)
        assert (whole.read, whole.inserted, whole.quarantined) == (
            first.read, first.inserted, first.quarantined,
        )  # fmt: skip
        assert small.checksum(cursors=False) == large.checksum(cursors=False)

        killed = kill_mid_sync(definition, env, directory, before=before, page=small_page)
        try:
            assert killed.checksum(cursors=False) == large.checksum(cursors=False), (
                "killed mid-run and resumed, the store differs from an uninterrupted sync"
            )
        finally:
            killed.dispose()

        again = sync_source(small, definition, SyncOptions(), env=env)
        assert again.status == "succeeded"
        assert (again.inserted, again.updated) == (0, 0), "an incremental run brought changes"

        auth = getattr(definition.transport, "auth", None)
        secrets = [getattr(auth, f) for f in _SECRET_ENV if getattr(auth, f, None)]
        for variable in secrets:
            with pytest.raises(FatalError) as refused:
                sync_source(
                    small, definition, SyncOptions(full=True), env={**env, variable: "wrong-secret"}
                )
            said: Any = str(refused.value)
            assert said.startswith(f"{definition.name}: ") and len(said) > len(definition.name) + 10
    finally:
        small.dispose()
        large.dispose()
