"""Arbitrary text (every Unicode category) through a file drop and a REST source into
both stores: every value stored equals its input after the documented normalization
(the mapping's `clean`: trimmed, full-width folded, inner white space collapsed), or the
record is quarantined under a named rule; nothing else happens."""

from __future__ import annotations

import csv
import io
import itertools
import json

from fault_proxy import Hit, Reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kit import GOOD, HEADER, definition, registry

from connectors import sync_source
from tongban import SyncOptions
from tongban.normalize import clean_text

KEY = "110105194912310062"
_files = itertools.count()
PROPERTY = settings(
    max_examples=12, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


def _outcome(store, source: str, record: str, key: str, entity: str, field: str):
    held = [
        q for q in store.quarantined(source=source, status=None) if q["source_record"] == record
    ]
    stored = store.get(entity, key)
    return held, (stored or {}).get(field)


@PROPERTY
@given(name=st.text(st.characters(codec="utf-8"), max_size=12))
def test_any_text_in_a_file_drop_is_stored_as_cleaned_or_quarantined(store, tmp_path, name):
    drop = tmp_path / "drop"
    drop.mkdir(exist_ok=True)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        [KEY, name, "女", "1949-12-31", "", "参保", "", ""]
    )
    n = next(_files)
    path = drop / f"shebao_{n:08d}.csv"
    path.write_text(HEADER + "\n".join(GOOD) + "\n" + out.getvalue(), encoding="utf-8")
    d = definition("renshe_insurance", encoding="utf-8")
    before = (store.get("person", KEY) or {}).get("name")
    summary = sync_source(
        store, d, SyncOptions(validate=False), env={"TONGBAN_RENSHE_DROP_DIR": str(drop)}
    )
    assert summary.status == "succeeded" and summary.reconciles
    held, value = _outcome(store, "renshe_insurance", f"{path.name}:4", KEY, "person", "name")
    if held:
        assert held[0]["rule"]  # a named rule
    else:  # a value that cleans to nothing is no value, and leaves the stored one be
        cleaned = clean_text(name)
        assert value == (cleaned if cleaned is not None else before)


@PROPERTY
@given(name=st.text(max_size=12))  # lone surrogates included: JSON can carry them
def test_any_text_in_a_rest_field_is_stored_as_cleaned_or_quarantined(store, name):
    edited: dict[str, str] = {}

    def fault(hit: Hit) -> Reply | None:
        if not hit.path.startswith("/api/v1/enterprises"):
            return None
        document = json.loads(hit.body)
        item = document["items"][0]
        edited.update(id=item["id"], code=item["uniscid"])
        item["entname"] = name
        return hit.reply(body=json.dumps(document).encode())

    d = definition("scjg_enterprise", pagination={"limit": 30})
    with registry(fault) as env:
        summary = sync_source(store, d, SyncOptions(validate=False, full=True), env=env)
    assert summary.status == "succeeded" and summary.reconciles
    held = [q for q in store.quarantined(source="scjg_enterprise", status=None)
            if q["source_record"] == edited["id"] and q["run_id"] == summary.run_id]  # fmt: skip
    if held:
        assert held[0]["rule"]
    else:
        assert store.get("enterprise", edited["code"])["name"] == clean_text(name)
