from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from sandbox import DirtRates, World, append_changes, write_frontdb
from sandbox.frontdb import mz_hydj


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'frontdb.sqlite'}"
    return str(request.getfixturevalue("new_pg_database"))


def test_rows_per_party_with_tied_updates(url: str) -> None:
    world = World(people=300, enterprises=5)
    written = write_frontdb(url, world, DirtRates())
    assert written.records == 2 * world.marriages
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(mz_hydj).order_by(mz_hydj.c.id)).mappings().all()
        ties = conn.execute(
            select(mz_hydj.c.updated_at, func.count())
            .group_by(mz_hydj.c.updated_at)
            .having(func.count() > 1)
        ).all()
    engine.dispose()
    assert len(rows) == written.records and [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    assert ties and sum(n for _, n in ties) > len(rows) / 3
    assert {r["hyzk"] for r in rows} <= {"20", "40"}
    clean = [r for r in rows if r["xb"] in ("男", "女")]
    assert len(clean) > 0.9 * len(rows)
    assert all(r["updated_at"].tzinfo is None for r in rows)
    by_number: dict[str, list[str]] = {}
    for r in rows:
        by_number.setdefault(r["djbh"], []).append(r["xb"])
    assert all(len(v) == 2 for v in by_number.values())
    assert 0.2 * world.people < len(rows) < 0.4 * world.people


def test_append_changes_writes_later_rows(url: str) -> None:
    world = World(people=300, enterprises=5)
    write_frontdb(url, world, DirtRates.none())
    when = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    changed = append_changes(url, world, 7, when)
    assert len(changed) == 7
    engine = create_engine(url)
    with engine.connect() as conn:
        latest = conn.execute(
            select(mz_hydj.c.id)
            .where(mz_hydj.c.updated_at == datetime(2026, 11, 23, 9, 30))
            .order_by(mz_hydj.c.id)
        ).all()
        total = conn.execute(select(func.count()).select_from(mz_hydj)).scalar()
    engine.dispose()
    assert sorted(r["id"] for r in changed) == [r[0] for r in latest]
    new = [r for r in changed if r["id"] > 2 * world.marriages]
    assert new and len(new) % 2 == 0 and total == 2 * world.marriages + len(new)
    married = {world.person(i).id_number for i in range(world.people)
               if world.person(i).marital_status == "20"}  # fmt: skip
    assert all(r["sfzh"] in married and r["hyzk"] == "20" for r in new)
