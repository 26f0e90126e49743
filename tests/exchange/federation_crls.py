"""What the CRL tests of the three hubs share: hubs whose CRL caches expire quickly, how
many times a hub served its CRL (its own request counter), a burst of requests at once,
and the e-licenses the province holds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from federation_world import get, store_of
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from sandbox.levels import Levels, start_levels
from tongban.store import schema

__all__ = ["MAX_AGE_S", "burst", "crl_fetches", "crl_levels", "expire", "licenses_of"]

MAX_AGE_S = 6.0
_CRL_ROUTE = "/licenses/pki/crl/{crl_name}"


@contextmanager
def crl_levels(root: Path, pg_url: str) -> Iterator[Levels]:
    """The three hubs, each keeping a peer's CRL at most ``MAX_AGE_S``."""
    with start_levels(
        root, database_urls={"province": pg_url}, people=6, timeout_s=10, crl_max_age_s=MAX_AGE_S
    ) as levels:
        yield levels


def expire() -> None:
    """Wait out the CRLs every hub keeps (fetched at start by the catalog refreshers)."""
    time.sleep(MAX_AGE_S + 0.5)


def crl_fetches(levels: Levels, hub: str) -> int:
    """How many times ``hub`` has served its CRL, by its own request counter."""
    text = httpx.get(levels[hub].url + "/metrics", timeout=30).text
    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            if family.name == "tongban_exchange_requests"
            for sample in family.samples
            if sample.name.endswith("_total") and sample.labels.get("route") == _CRL_ROUTE
        )
    )


def burst(levels: Levels, asks: list[tuple[str, str]]) -> tuple[list[httpx.Response], float]:
    """``asks`` (hub, path) sent eight at a time; the answers and the seconds they took."""
    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda a: get(levels, a[0], a[1], case_no="CRL-1"), asks))
    return answers, time.monotonic() - start


def licenses_of(levels: Levels) -> list[str]:
    """The identifiers of the e-licenses the province holds."""
    store = store_of(levels, "province")
    t = schema.elicense
    with store.engine.connect() as conn:
        found = [r.identifier for r in conn.execute(select(t.c.identifier))]
    store.dispose()
    return found
