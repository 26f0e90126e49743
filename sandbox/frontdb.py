"""民政 front-end database (前置库) stand-in: the marriage registration table ``mz_hydj``.

The department copies its registrations (婚姻登记) into a table the hub may read: one row
per party, so a registration gives two rows. ``xb`` is 男/女, ``hyzk`` the GB/T 2261.2
status after the registration (20 已婚, 40 离婚), ``djrq`` a varchar the clerks fill in
several spellings, ``updated_at`` local time without zone, written in batches so that many
rows share exactly the same value. Works on SQLite and PostgreSQL (SQLAlchemy Core).

    >>> url = "sqlite:///frontdb.sqlite"
    >>> written = write_frontdb(url, World(), DirtRates())                 # doctest: +SKIP
    >>> changed = append_changes(url, World(), 6, datetime(2026, 11, 23, 9))  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    select,
    update,
)

from sandbox._draw import Draws
from sandbox.dirt import DirtRates
from sandbox.manifest import ManifestEntry, Written
from sandbox.sources import marriage_row
from sandbox.world import CST, World

__all__ = ["append_changes", "mz_hydj", "write_frontdb"]

metadata = MetaData()
mz_hydj = Table(
    "mz_hydj",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("djbh", String(32), nullable=False, comment="登记证字号"),
    Column("sfzh", String(40), comment="公民身份号码"),
    Column("xm", String(64), comment="姓名"),
    Column("xb", String(8), comment="性别"),
    Column("hyzk", String(4), comment="婚姻状况 GB/T 2261.2"),
    Column("djrq", String(32), comment="登记日期"),
    Column("updated_at", DateTime(timezone=False), nullable=False, comment="本地时间"),
    comment="婚姻登记",
)
_BATCH = 500


def _local(when: datetime) -> datetime:
    """Beijing local time without zone, as the front-end DB stores it."""
    return when.astimezone(CST).replace(tzinfo=None) if when.tzinfo else when


def write_frontdb(url: str, world: World, dirt: DirtRates) -> Written:
    """(Re)create ``mz_hydj`` at ``url`` with every registration of ``world``."""
    rows = 2 * world.marriages
    timeline = world.timeline("minzheng_marriage", rows)
    entries: list[ManifestEntry] = []
    engine = create_engine(url)
    try:
        metadata.drop_all(engine, tables=[mz_hydj], checkfirst=True)
        metadata.create_all(engine, tables=[mz_hydj])
        batch: list[dict[str, Any]] = []
        with engine.begin() as conn:
            for r in range(rows):
                raw, entry = marriage_row(world, dirt, r)
                if entry is not None:
                    entries.append(entry)
                batch.append({**raw, "id": r + 1, "updated_at": _local(timeline.timestamp(r))})
                if len(batch) >= _BATCH:
                    conn.execute(mz_hydj.insert(), batch)
                    batch = []
            if batch:
                conn.execute(mz_hydj.insert(), batch)
    finally:
        engine.dispose()
    return Written("minzheng_marriage", rows, entries)


def append_changes(url: str, world: World, n: int, when: datetime) -> list[dict[str, Any]]:
    """The department's next batch: ``n`` rows stamped ``when`` (local time), returned.

    About half re-save existing rows unchanged (a clerk opened and saved them); the rest
    are back-filled historical registrations (补录) of people the registry already lists as
    married (hyzk 20) but the table did not hold yet, two rows per couple, all clean.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    stamp = _local(when)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            last = conn.execute(select(func.max(mz_hydj.c.id))).scalar() or 0
            present = set(conn.execute(select(mz_hydj.c.sfzh)).scalars())
            couples = _unregistered_couples(world, present, (n - n // 2) // 2)
            added: list[dict[str, Any]] = []
            for man, woman in couples:
                added.extend(_backfill(world, man, woman, last + len(added) + 1, stamp))
            touched = _resave(conn, world, last, n - len(added), stamp)
            if added:
                conn.execute(mz_hydj.insert(), added)
    finally:
        engine.dispose()
    return touched + added


def _resave(conn: Any, world: World, last: int, n: int, stamp: datetime) -> list[dict[str, Any]]:
    d = Draws(world.seed, "frontdb-resave", int(stamp.timestamp()))
    ids: set[int] = set()
    while len(ids) < min(n, last):
        ids.add(d.between(1, last))
    if not ids:
        return []
    conn.execute(update(mz_hydj).where(mz_hydj.c.id.in_(ids)).values(updated_at=stamp))
    rows = conn.execute(select(mz_hydj).where(mz_hydj.c.id.in_(ids)).order_by(mz_hydj.c.id))
    return [dict(row._mapping) for row in rows]


def _unregistered_couples(world: World, present: set[str], wanted: int) -> list[tuple[int, int]]:
    """Pairs (man, woman) of people listed as married whom the table does not hold."""
    men: list[int] = []
    women: list[int] = []
    for i in range(world.people):
        if min(len(men), len(women)) >= wanted:
            break
        p = world.person(i)
        if world.couple_married(i // 2) or p.marital_status != "20" or p.id_number in present:
            continue
        (men if p.gender == "1" else women).append(i)
    return list(zip(men, women, strict=False))[:wanted]


def _backfill(
    world: World, man: int, woman: int, first_id: int, stamp: datetime
) -> list[dict[str, Any]]:
    husband, wife = world.person(man), world.person(woman)
    d = Draws(world.seed, "frontdb-backfill", man)
    of_age = max(husband.birth_date.year + 22, wife.birth_date.year + 20, 1980)
    year = d.between(of_age, max(of_age, world.as_of.year - 1))
    registered = f"{year}-{d.between(1, 12):02d}-{d.between(1, 28):02d}"
    number = f"J{husband.residence_code}-{year}-{d.between(1, 99999):06d}"
    return [
        {
            "id": first_id + k,
            "djbh": number,
            "sfzh": p.id_number,
            "xm": p.name,
            "xb": "男" if p.gender == "1" else "女",
            "hyzk": "20",
            "djrq": registered,
            "updated_at": stamp,
        }
        for k, p in enumerate((husband, wife))
    ]
