"""Extract, map and normalize in a worker process, so that on a machine with two cores
the network, JSON decoding, mapping and normalizing overlap with validating, merging and
writing in the syncing process.

The worker opens its own connector, pulls pages after the cursor it is given, stages
each (maps and normalizes every record: :class:`tongban.prepare.Staged`) and hands it
over a bounded queue. Validation (Great Expectations) stays in the parent, which sees
whole groups of pages; the worker never imports it, and stays small. It writes nothing:
the parent still commits each batch with its cursor, so a crash of either process loses
nothing. A worker whose parent has died stops by itself.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from connectors._prefetch import prefetch
from connectors.definition import SourceDefinition
from connectors.registry import open_connector
from connectors.transforms import compile_mapping
from tongban.entities import entity as entity_spec
from tongban.errors import FatalError
from tongban.identifiers import RegionCheck
from tongban.options import SyncOptions
from tongban.pipeline import fewer_collections
from tongban.prepare import Staged

__all__ = ["staged_pages", "warm_up"]

_context: BaseContext | None = None


def _ctx() -> BaseContext:
    # A fork server, not fork: the parent may run threads (a web server, the sandbox),
    # and forking those is unsafe. The server preloads the connectors once.
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["connectors._worker"])
        _context = ctx
    return _context


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(parent: int) -> None:
    """End this process as soon as the syncing process is gone (killed, say), even while
    it waits on the network: a worker never outlives its sync."""
    while _alive(parent):
        time.sleep(1.0)
    os._exit(0)


def _put(out: Any, item: Any, parent: int) -> bool:
    while True:
        try:
            out.put(item, timeout=1.0)
            return True
        except queue.Full:
            if not _alive(parent):
                return False


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a FatalError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return FatalError(f"{type(exc).__name__}: {exc}")
    return exc


def _run(
    definition: SourceDefinition,
    env: Mapping[str, str],
    cursor: Any,
    cache_dir: Path | None,
    region_check: RegionCheck,
    out: Any,
    parent: int,
) -> None:
    gc_relaxed = fewer_collections()
    gc_relaxed.__enter__()  # a process of its own: no need to restore anything
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    try:
        connector = open_connector(definition, env=env, cache_dir=cache_dir)
        mapper = compile_mapping(definition.fields())
        spec = entity_spec(definition.entity)
        try:
            for page in prefetch(connector.pages(cursor), 4):
                staged = Staged()
                staged.add(spec, page.records, mapper, region_check)
                # Pickled here, not by the queue's feeder thread later: a page waiting in
                # the queue then takes a few hundred bytes a record instead of its objects.
                data = pickle.dumps(staged, protocol=pickle.HIGHEST_PROTOCOL)
                del staged
                if not _put(out, ("page", data, page.cursor), parent):
                    return
        finally:
            connector.close()
        _put(out, ("done",), parent)
    except BaseException as exc:
        _put(out, ("error", _portable(exc)), parent)


def _nothing() -> None:
    pass


def warm_up() -> None:
    """Start the fork server now (it imports the connectors, which takes a second) rather
    than at the first sync."""
    worker = _ctx().Process(target=_nothing, daemon=True)  # type: ignore[attr-defined]
    worker.start()
    worker.join()


def staged_pages(
    definition: SourceDefinition,
    options: SyncOptions,
    *,
    env: Mapping[str, str],
    cursor: Any,
    depth: int = 64,
) -> Iterator[tuple[Staged, Any]]:
    """Staged pages after ``cursor``, from a worker process; its errors re-raised here.
    Of ``options`` the worker takes the cache directory and the region check.

    The queue holds up to ``depth`` pages (pickled), so the worker fetches and stages on
    while the parent validates a group."""
    ctx = _ctx()
    out = ctx.Queue(maxsize=max(1, depth))
    worker = ctx.Process(  # type: ignore[attr-defined]
        target=_run,
        args=(
            definition,
            dict(env),
            cursor,
            options.cache_dir,
            options.region_check,
            out,
            os.getpid(),
        ),
        name=f"tongban-extract-{definition.name}",
        daemon=True,
    )
    worker.start()
    try:
        while True:
            try:
                message = out.get(timeout=1.0)
            except queue.Empty:
                if not worker.is_alive():
                    raise FatalError(
                        f"{definition.name}: the extract worker stopped unexpectedly"
                        f" (exit code {worker.exitcode})"
                    ) from None
                continue
            if message[0] == "page":
                yield pickle.loads(message[1]), message[2]
            elif message[0] == "done":
                return
            else:
                raise message[1]
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join(timeout=10)
        out.close()
