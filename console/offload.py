"""Work the console starts that passes the data-quality gate (a sync, a reprocess) runs in
a process of its own, so the API and console processes never import Great Expectations.

Each runs in a fresh interpreter (``spawn``: nothing of the server's threads or sockets
is inherited) against the same store, and sends back what the page shows: a sync its
counts after every batch, a reprocess its report. A failure comes back as one line.

    >>> for kind, *data in sync_in_child(store, definition, env=env, hub=hub):
    ...     print(kind, data)                                           # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from tongban.errors import TongbanError

if TYPE_CHECKING:
    from connectors import ReprocessReport, SourceDefinition
    from tongban.settings import Settings
    from tongban.store import MergeRules, Store

__all__ = ["reprocess_in_child", "sync_in_child"]

_SPAWN = multiprocessing.get_context("spawn")


def _where(store: Store) -> tuple[str, MergeRules]:
    """What a child needs to open the same store: its URL and its merge rules."""
    return store.url, store.rules


def _open(where: tuple[str, MergeRules]) -> Store:
    from tongban.store import Store

    url, rules = where
    return Store(url, rules=rules)


def _sync(
    where: tuple[str, MergeRules], definition: SourceDefinition, env: dict[str, str],
    hub: Settings, full: bool, out: Connection,
) -> None:  # fmt: skip
    """In the child: the sync, each batch's counts and the outcome sent to ``out``."""
    from connectors import sync_source
    from tongban.options import SyncOptions

    store = _open(where)
    try:
        summary = sync_source(
            store, definition, SyncOptions.from_settings(hub, full=full), env=env,
            on_batch=lambda s: out.send(("batch", s.run_id, s.counts())),
        )  # fmt: skip
        out.send(("done", summary.run_id, summary.counts(), summary.status, summary.message))
    except Exception as exc:
        out.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        store.dispose()
        out.close()


def sync_in_child(
    store: Store, definition: SourceDefinition, *, env: Mapping[str, str], hub: Settings,
    full: bool = False,
) -> Iterator[tuple[Any, ...]]:  # fmt: skip
    """Run ``connectors.sync_source`` in a child process; yields ``("batch", run_id,
    counts)`` after each batch, then ``("done", run_id, counts, status, message)`` or
    ``("failed", message)``."""
    receive, send = _SPAWN.Pipe(duplex=False)
    child = _SPAWN.Process(
        target=_sync, args=(_where(store), definition, dict(env), hub, full, send),
        name=f"sync-{definition.name}",
    )  # fmt: skip
    child.start()
    send.close()  # the child holds the only writing end: its exit ends the reading
    ended = False
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError:
                break
            ended = message[0] in ("done", "failed")
            yield message
    finally:
        receive.close()
        child.join()
    if not ended:
        yield ("failed", f"the sync process ended without a result (exit code {child.exitcode})")


def _reprocess(
    where: tuple[str, MergeRules],
    definitions: dict[str, SourceDefinition],
    ids: list[int],
    region_check: str,
) -> ReprocessReport | str:
    """In the child: the report, or a failure as one line."""
    from connectors import reprocess

    store = _open(where)
    try:
        return reprocess(
            store, definitions=definitions, ids=ids,
            region_check=region_check,  # type: ignore[arg-type]
        )  # fmt: skip
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}" if not isinstance(exc, TongbanError) else str(exc)
    finally:
        store.dispose()


def reprocess_in_child(
    store: Store, *, definitions: Mapping[str, SourceDefinition], ids: Sequence[int],
    region_check: str,
) -> ReprocessReport:  # fmt: skip
    """``connectors.review.reprocess`` in a child process; its failure raises
    :class:`TongbanError` with the child's message."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_SPAWN) as pool:
        outcome = pool.submit(
            _reprocess, _where(store), dict(definitions), list(ids), region_check
        ).result()
    if isinstance(outcome, str):
        raise TongbanError(outcome)
    return outcome
