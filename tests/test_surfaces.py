"""The public surfaces other packages import from, pinned: a name added to or dropped from
one is a deliberate change, made here too.

Pinned beside their own tests instead: ``exchange`` and its ``cases``, ``outbox``,
``supervision``, ``reports`` and ``federation`` (tests/exchange), ``expectations``
(tests/expectations), ``license_vault`` and ``license_vault.http`` (tests/license_vault),
``console`` (tests/console), ``sandbox`` (tests/sandbox) and ``tongban.identifiers``
(tests/identifiers). Which modules count as surfaces is ``tests/test_imports.py``'s rule.
"""

from __future__ import annotations

import importlib

import pytest

SURFACES = {
    "tongban": [
        "BatchHeld", "ENTITIES", "FatalError", "MergeRules", "RecordError", "RetriableError",
        "RunSummary", "Settings", "Store", "SyncOptions", "TongbanError", "load_records",
        "load_settings", "read_records", "run_pages",
    ],
    "tongban.store": [
        "BatchResult", "ChildBatch", "Incoming", "MergeRules",
        "QuarantineEntry", "Store", "schema", "utcnow",
    ],
    "cli": ["LAZY", "app", "main"],
    "connectors": [
        "CONNECTORS", "Connector", "DefinitionError", "Page", "PartitionEnd", "ReprocessReport",
        "SourceDefinition", "SourceSet", "TRANSFORMS", "batch_check", "call_with_retries",
        "compile_mapping", "corrected", "finish_partitions", "load_definition",
        "load_definitions", "load_sources", "open_connector", "plan_partitions", "reprocess",
        "sync_partition", "sync_source", "warm_up",
    ],
    "expectations.custom": [
        "ExpectColumnPairDatesToBeInOrder", "ExpectColumnPairValuesToMatchIdNumberBirthDate",
        "ExpectColumnPairValuesToMatchIdNumberGender", "ExpectColumnValuesToBeInLicenseCatalog",
        "ExpectColumnValuesToBeInStore", "ExpectColumnValuesToBeKnownRegionCode",
        "ExpectColumnValuesToBeUniqueIdentifiers", "ExpectColumnValuesToBeValidCreditCode",
        "ExpectColumnValuesToBeValidDate", "ExpectColumnValuesToBeValidDecimal",
        "ExpectColumnValuesToBeValidHolders", "ExpectColumnValuesToBeValidIdNumber",
        "Explains", "KnownKeys", "batch_scope", "per_distinct",
    ],
    "license_vault.jws": [
        "CompactJws", "JwsError", "JwsSealer", "b64url", "b64url_decode", "parse_compact",
        "verify_signature",
    ],
    "license_vault.pki": [
        "RevocationUrls", "fingerprint", "load_pem", "make_root_certificate",
        "make_seal_certificate", "make_tsa_certificate", "pem",
    ],
    "exchange.cases.cli": [
        "cases_app", "outbox_app", "print_report_summary", "report", "supervision_app",
    ],
    "sandbox.levels": [
        "HubSpec", "ITEM", "LevelHub", "Levels", "MARRIAGE_CERTIFICATE", "Resident", "SPECS",
        "start_levels",
    ],
    "dags": [],  # nothing imports the DAGs; Airflow reads the folder
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(SURFACES))
def test_public_surface_is_pinned(module: str) -> None:
    found = importlib.import_module(module)
    assert sorted(found.__all__) == sorted(SURFACES[module])
    for name in found.__all__:
        assert getattr(found, name) is not None, f"{module}.{name}"


def test_the_core_loads_a_name_only_when_it_is_read() -> None:
    """``tongban``'s names are read lazily, and a name it does not have is an error that
    says so (not a silent ``None``)."""
    import tongban

    with pytest.raises(AttributeError, match="no attribute 'sync_source'"):
        _ = tongban.sync_source  # type: ignore[attr-defined]
