"""Tables of the shared store (SQLAlchemy Core; the migrations create the same).

Golden records (``person``, ``enterprise``, ``license``) hold the merged value of each
field plus ``provenance``: for every field, the source system, source record, run and
time it came from. Every state a golden record leaves behind is kept in ``record_version``
(transaction time: what the hub knew from ``valid_from`` until ``valid_to``).

The tables live in one module per part of the hub (records, runs, vault, exchange,
cases, console), all on one :data:`metadata`; import them from here.

    >>> from tongban.store import schema
    >>> schema.person.c.id_number.primary_key
    True
"""

from tongban.store.schema._base import Json, Timestamp, metadata
from tongban.store.schema._cases import case_card, case_event, outbox, outbox_lane, service_case
from tongban.store.schema._console import console_event, console_user
from tongban.store.schema._exchange import (
    audit_anchor,
    audit_head,
    audit_log,
    exchange_assertion,
    exchange_client,
    exchange_grant,
    exchange_rate,
    federation_exchange,
    federation_nonce,
    federation_peer,
)
from tongban.store.schema._records import (
    BOOKKEEPING,
    enterprise,
    golden_fields,
    license,
    license_holder,
    merge_conflict,
    person,
    record_version,
)
from tongban.store.schema._runs import (
    held_batch,
    quarantine,
    run_log,
    sync_state,
    validation_result,
)
from tongban.store.schema._vault import elicense, elicense_event, seal

__all__ = [
    "BOOKKEEPING",
    "Json",
    "Timestamp",
    "audit_anchor",
    "audit_head",
    "audit_log",
    "case_card",
    "case_event",
    "console_event",
    "console_user",
    "elicense",
    "elicense_event",
    "enterprise",
    "exchange_assertion",
    "exchange_client",
    "exchange_grant",
    "exchange_rate",
    "federation_exchange",
    "federation_nonce",
    "federation_peer",
    "golden_fields",
    "held_batch",
    "license",
    "license_holder",
    "merge_conflict",
    "metadata",
    "outbox",
    "outbox_lane",
    "person",
    "quarantine",
    "record_version",
    "run_log",
    "seal",
    "service_case",
    "sync_state",
    "validation_result",
]
