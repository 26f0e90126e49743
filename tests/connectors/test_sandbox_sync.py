"""Every source synced from its real sandbox system, and every manifest entry checked."""

from __future__ import annotations

import pytest

from connectors import load_definitions, sync_source
from sandbox import Sandbox
from tongban import SyncOptions
from tongban.errors import FatalError
from tongban.store import Store

SOURCES = ["gongan_population", "scjg_enterprise", "minzheng_marriage", "renshe_insurance",
           "scjg_license", "zrzy_realestate", "zjj_qualification"]  # fmt: skip


def _sync_all(store: Store, sandbox: Sandbox) -> dict:
    found = load_definitions()
    return {
        name: sync_source(store, found[name], SyncOptions(), env=sandbox.env) for name in SOURCES
    }


# The digest of the golden records (values and provenance), their history and the
# quarantine after ``_sync_all`` of this module's sandbox, as the design before the
# columnar batch (each page as rows or as columns, every rule written twice) left them:
# the batch path stores exactly the same. Change it only with a change of what is stored
# that is meant.
RECORDS = ("person", "enterprise", "license", "record_version", "quarantine")
PREVIOUS_DESIGN = "6b65c14035718fa4bb9c755717e6191f13bdd172e6c48d80928f4e8f1da6e4c9"
# The conflicts, apart: the same seven rows as that design recorded, field for field,
# but each disagreement's fingerprint is now its two sides in either order (that design
# counted the side held when it was met, so one disagreement met both ways was two rows).
CONFLICTS = "09bc36e38a7d5f9bbf7c47312b97644ab1b642ccb62809d53ebe6e1baa06bdf8"


def test_the_store_equals_what_the_previous_design_stored(store, sandbox):
    _sync_all(store, sandbox)
    assert store.checksum(cursors=False, tables=RECORDS) == PREVIOUS_DESIGN
    assert store.count("merge_conflict") == 7
    assert store.checksum(tables=["merge_conflict"]) == CONFLICTS


def test_every_manifest_entry_meets_its_fate(store, sandbox):
    summaries = _sync_all(store, sandbox)
    manifest = sandbox.manifest
    found = load_definitions()
    for name, summary in summaries.items():
        assert summary.status == "succeeded"
        assert summary.reconciles, name
        assert summary.read == manifest.records[name], name
        held = store.count("quarantine", source=name)
        assert held == manifest.invalid_count(name), name
    quarantined = {(q["source"], q["source_record"]): q for q in store.quarantined(limit=None)}
    problems = []
    for entry in manifest.entries:
        if entry.source not in SOURCES:
            continue
        entity = entry.entity or found[entry.source].entity
        held = quarantined.get((entry.source, entry.record))
        if entry.expect == "quarantined":
            if held is None or held["rule"] != entry.rule:
                got = held and held["rule"]
                problems.append(f"{entry}: expected quarantine under {entry.rule}, got {got}")
            continue
        if held is not None:
            problems.append(f"{entry}: expected {entry.expect}, quarantined as {held['rule']}")
            continue
        if entry.key and store.get(entity, entry.key) is None:
            problems.append(f"{entry}: {entity} {entry.key} is not in the store")
        if entry.expect == "conflict":
            fields = {c["field"] for c in store.conflicts(entity, entry.key)}
            if entry.canonical_field not in fields:
                problems.append(f"{entry}: no conflict recorded on {entry.canonical_field}")
    assert not problems, "\n".join(problems[:20])
    # The dirt that can be fixed was fixed: e.g. a 15-digit number lands as 18 digits.
    upgraded = [e for e in manifest.entries if e.dirt == "id_15" and e.expect == "normalized"]
    assert upgraded and all(len(e.key) == 18 for e in upgraded if e.key)
    # Nothing outside the manifest was held back, and each was caught by a named expectation.
    assert len(quarantined) == sum(manifest.invalid_count(n) for n in SOURCES)
    unnamed = [q for q in quarantined.values() if not q["expectation"]]
    assert not unnamed, unnamed[:3]


def test_a_second_sync_changes_nothing(store, sandbox):
    _sync_all(store, sandbox)
    before = store.checksum(cursors=False)
    again = _sync_all(store, sandbox)
    assert all(s.inserted == 0 and s.updated == 0 for s in again.values())
    assert store.checksum(cursors=False) == before


def test_a_full_sync_reads_everything_again_and_changes_nothing(store, sandbox):
    """A full pass ignores the saved cursors: every record is read again, each comes out
    unchanged or quarantined as before, and the store's records stay as they were."""
    first = _sync_all(store, sandbox)
    before = store.checksum(cursors=False)
    found = load_definitions()
    again = {
        name: sync_source(store, found[name], SyncOptions(full=True), env=sandbox.env)
        for name in SOURCES
    }
    for name, summary in again.items():
        assert summary.read == first[name].read, name
        assert (summary.inserted, summary.updated) == (0, 0), name
        assert summary.quarantined == first[name].quarantined, name
        assert summary.reconciles, name
        [latest, *_] = store.runs(source=name)
        assert latest["kind"] == "full sync" and latest["status"] == "succeeded"
    assert store.checksum(cursors=False) == before


def test_golden_records_keep_field_provenance_from_the_authoritative_source(store, sandbox):
    _sync_all(store, sandbox)
    conflict = next(e for e in sandbox.manifest.entries if e.expect == "conflict"
                    and e.source in ("minzheng_marriage", "renshe_insurance"))  # fmt: skip
    person = store.get("person", conflict.key)
    assert person is not None
    # The population registry is authoritative for names: its value is kept.
    assert person["provenance"]["name"]["source"] == "gongan_population"


@pytest.mark.parametrize("name", SOURCES)
def test_sources_list_their_cursor_after_a_sync(store, sandbox, name):
    if name == "scjg_license":  # license holders are checked against the store
        sync_source(store, load_definitions()["scjg_enterprise"], SyncOptions(), env=sandbox.env)
    sync_source(store, load_definitions()[name], SyncOptions(), env=sandbox.env)
    assert store.cursor(name) is not None
    [run] = store.runs(source=name)
    assert run["kind"] == "sync" and run["status"] == "succeeded"
    entity = load_definitions()[name].entity  # child records have their own suites
    [validation] = [v for v in store.validation_results(source=name) if v["suite"] == entity]
    assert validation["gate_passed"] and validation["evaluated"] == run["read"]


def test_a_worker_process_syncs_the_same_store(store, sandbox, tmp_path):
    """Extracting and normalizing in a worker process changes nothing in the result."""
    found = load_definitions()
    for name in SOURCES:
        summary = sync_source(store, found[name], SyncOptions(worker=True), env=sandbox.env)
        assert summary.status == "succeeded" and summary.reconciles
    reference = Store(f"sqlite:///{tmp_path / 'reference.db'}")
    reference.migrate()
    _sync_all(reference, sandbox)
    assert store.checksum() == reference.checksum()
    reference.dispose()


def test_a_worker_process_hands_back_its_errors(store, sandbox):
    env = {**sandbox.env, "TONGBAN_GONGAN_PASSWORD": "wrong"}
    with pytest.raises(FatalError, match="认证失败"):
        sync_source(
            store, load_definitions()["gongan_population"], SyncOptions(worker=True), env=env
        )
    [run] = store.runs(source="gongan_population")
    assert run["status"] == "failed" and "认证失败" in run["message"]
