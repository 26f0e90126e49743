"""Sync one source: open its connector, pull pages after the stored cursor, and run them
through the load path, each batch committed with the cursor of its last page.

    >>> options = SyncOptions.from_settings(load_settings())  # doctest: +SKIP
    >>> summary = sync_source(store, definition, options, env=os.environ)  # doctest: +SKIP
    >>> summary.status, summary.reconciles  # doctest: +SKIP
    ('succeeded', True)

Pages are fetched ahead (``options.prefetch_pages``, two by default) in a background
thread, so waiting on the network overlaps with normalizing and writing; memory stays
bounded by the queue size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from connectors._prefetch import prefetch
from connectors._worker import staged_pages
from connectors.base import Connector
from connectors.children import fan_out_of
from connectors.definition import SourceDefinition
from connectors.quality import batch_check
from connectors.registry import open_connector
from connectors.transforms import compile_mapping
from tongban.options import SyncOptions
from tongban.pipeline import RunSummary, run_pages
from tongban.store import Store

__all__ = ["prefetch", "sync_source"]


def sync_source(
    store: Store,
    definition: SourceDefinition,
    options: SyncOptions,
    *,
    env: Mapping[str, str],
    on_batch: Callable[[RunSummary], None] | None = None,
    connector: Connector | None = None,
) -> RunSummary:
    """Pull what changed in ``definition``'s system since the last run into ``store``.

    Holds the source's lock for the whole run; runs of this source left 'running' by a
    killed process are marked interrupted first. A failure marks the run failed with the
    reason and re-raises; the cursor stays at the last committed page. ``options`` says
    how (:class:`tongban.options.SyncOptions`): with ``worker``, extracting, mapping and
    normalizing run in a separate process (``connectors._worker``); with ``validate``,
    every group of about ``quality_group`` records passes the source's data-quality gate
    (its Great Expectations suite) before anything of it is written; with ``full``, the
    pass starts from the beginning whatever the saved cursor says (the records already
    stored come out unchanged). A full pass saves cursors as any run does, so one cut
    short goes on from where it stopped. ``connector``, when given, is read instead of
    opening the definition's (and never in a worker).
    """
    name = definition.name
    mapper = compile_mapping(definition.fields())
    with store.source_lock(name):
        kind = "full sync" if options.full else "sync"
        run_id = store.start_run(name, entity=definition.entity, kind=kind)
        store.interrupt_runs(name, keep=run_id)
        start = None if options.full else store.cursor(name)
        check = (
            batch_check(definition, store=store, region_check=options.region_check)
            if options.validate
            else None
        )
        fan_out = fan_out_of(definition, store, options, run_id)
        if options.worker and connector is None:
            pages = staged_pages(definition, options, env=env, cursor=start)
            try:
                return run_pages(
                    store, definition.entity, fan_out.tee(pages) if fan_out else pages,
                    source=name, options=options, kind=kind, check=check, save_cursor=True,
                    on_batch=on_batch, run_id=run_id, fan_out=fan_out,
                )  # fmt: skip
            finally:
                pages.close()  # type: ignore[attr-defined]
        try:
            if connector is None:
                connector = open_connector(definition, env=env, cache_dir=options.cache_dir)
            fetched = prefetch(connector.pages(start), options.prefetch_pages)
        except BaseException as exc:
            message = f"{type(exc).__name__}: {exc}"
            store.finish_run(run_id, status="failed", counts={}, message=message)
            raise
        raw = ((p.records, p.cursor) for p in fetched)
        try:
            return run_pages(
                store, definition.entity, fan_out.tee(raw) if fan_out else raw,
                source=name, options=options, kind=kind, mapper=mapper, check=check,
                save_cursor=True, on_batch=on_batch, run_id=run_id, fan_out=fan_out,
            )  # fmt: skip
        finally:
            fetched.close()  # stops the prefetch thread before the connection goes
            connector.close()
