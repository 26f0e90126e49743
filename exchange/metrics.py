"""Prometheus metrics of the exchange: requests, latency, refusals by reason, proofs saved.

Several API processes share one view when ``PROMETHEUS_MULTIPROC_DIR`` names a directory
(``tongban serve`` sets one for its workers); otherwise a process reports its own.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

__all__ = ["CONTENT_TYPE_LATEST", "LATENCY", "PROOFS_SAVED", "REFUSALS", "REQUESTS", "render"]

REQUESTS = Counter(
    "tongban_exchange_requests_total",
    "Requests answered, by route and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "tongban_exchange_request_seconds",
    "Time to answer a request, by route.",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
REFUSALS = Counter(
    "tongban_exchange_refusals_total", "Refused requests, by the rule named.", ["reason"]
)
PROOFS_SAVED = Counter(
    "tongban_exchange_proofs_saved_total",
    "Application materials the hub supplied, so the applicant did not have to bring them.",
    ["service_item"],
)


def render() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
