"""The unchanged test of a full pass reads a golden row's sole source in SQL on
PostgreSQL: it must agree with ``merge.sole_source`` on every shape of provenance."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from tongban.store import Store, schema
from tongban.store.dialect import SOLE_SOURCE, SOLE_SOURCE_SQL
from tongban.store.golden import utcnow
from tongban.store.merge import sole_source

pytestmark = pytest.mark.postgres

ORIGIN = {"source": "scjg_enterprise", "record": "r1", "run": "x", "at": "2026-01-01T00:00:00"}

EXAMPLES: list[Any] = [
    {"origins": [ORIGIN]},
    {"origins": [ORIGIN], "fields": {"name": 0}},
    {"origins": [ORIGIN, {**ORIGIN, "source": "other"}]},
    {"origins": []},
    {"origins": [{**ORIGIN, "source": 5}]},
    {"origins": [{**ORIGIN, "source": None}]},
    {"origins": [{"record": "r1"}]},
    {"origins": ["scjg_enterprise"]},
    {"origins": {"source": "scjg_enterprise"}},
    {"name": ORIGIN, "status": ORIGIN},  # the expanded, per-field form
    {},
    [ORIGIN],
    "scjg_enterprise",
    7,
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["scjg", "t", ""]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["origins", "source", "fields", "record"]), inner,
                      max_size=3),
    max_leaves=8,
)  # fmt: skip


def _in_sql(store: Store, provenance: Any) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(
            text(f"SELECT {SOLE_SOURCE_SQL} FROM (SELECT CAST(:doc AS jsonb) AS provenance) d"),
            {"doc": json.dumps(provenance)},
        ).scalar()


@pytest.mark.parametrize("provenance", EXAMPLES, ids=range(len(EXAMPLES)))
def test_examples(new_pg_store: Store, provenance: Any) -> None:
    assert _in_sql(new_pg_store, provenance) == sole_source(provenance)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(provenance=json_values)
def test_any_json(new_pg_store: Store, provenance: Any) -> None:
    python = sole_source(provenance)
    expected = python if isinstance(python, str) else None  # only a text source is a source
    assert _in_sql(new_pg_store, provenance) == expected


def test_the_store_reads_it_from_the_enterprise_table(new_pg_store: Store) -> None:
    with new_pg_store.engine.begin() as conn:
        now = utcnow()
        conn.execute(schema.enterprise.insert(), [
            {"credit_code": "A", "provenance": {"origins": [ORIGIN]}, "version": 1,
             "created_at": now, "updated_at": now},
            {"credit_code": "B", "provenance": {"name": ORIGIN}, "version": 1,
             "created_at": now, "updated_at": now},
        ])  # fmt: skip
        found = dict(
            conn.execute(select(schema.enterprise.c.credit_code, SOLE_SOURCE)).all()  # type: ignore[arg-type]
        )
    assert found == {"A": "scjg_enterprise", "B": None}
