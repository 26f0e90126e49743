"""Connectors to department systems: SOAP, REST, front-end databases and file drops.

A source is data: a YAML definition per system (``connectors/sources/``, or the
directory in the ``sources_dir`` setting) names the transport, endpoint, auth, paging,
cursor and field mapping. Code is only for a new kind of transport.

    >>> definitions = load_definitions()
    >>> options = SyncOptions.from_settings(load_settings())
    >>> sync_source(store, definitions["gongan_population"], options,
    ...             env=os.environ)                                     # doctest: +SKIP

``warm_up`` starts the sync worker's fork server ahead of the first sync that asks for a
worker, for a process that would rather pay that second before it starts timing.
"""

from connectors._worker import warm_up
from connectors.base import Connector, Page, call_with_retries
from connectors.definition import (
    DefinitionError,
    SourceDefinition,
    SourceSet,
    load_definition,
    load_definitions,
    load_sources,
)
from connectors.partition import (
    PartitionEnd,
    finish_partitions,
    plan_partitions,
    sync_partition,
)
from connectors.quality import batch_check
from connectors.registry import CONNECTORS, open_connector
from connectors.review import ReprocessReport, corrected, reprocess
from connectors.sync import sync_source
from connectors.transforms import TRANSFORMS, compile_mapping

__all__ = [
    "CONNECTORS",
    "TRANSFORMS",
    "Connector",
    "DefinitionError",
    "Page",
    "PartitionEnd",
    "ReprocessReport",
    "SourceDefinition",
    "SourceSet",
    "batch_check",
    "call_with_retries",
    "compile_mapping",
    "corrected",
    "finish_partitions",
    "load_definition",
    "load_definitions",
    "load_sources",
    "open_connector",
    "plan_partitions",
    "reprocess",
    "sync_partition",
    "sync_source",
    "warm_up",
]
