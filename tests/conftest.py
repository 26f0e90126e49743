"""Shared fixtures: a fresh store on SQLite and on the real PostgreSQL server.

PostgreSQL is found at ``TONGBAN_TEST_PG`` (default: the local server, user postgres);
each test session creates its own database and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tongban.store import Store
from tongban.store.schema import metadata

PG_ADMIN_URL = os.environ.get(
    "TONGBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def _throwaway_database() -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, drop it afterwards."""
    name = f"tongban_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database shared by this test session (or xdist worker)."""
    with _throwaway_database() as url:
        yield url


@pytest.fixture(scope="module")
def pg_database_pair() -> Iterator[tuple[str, str]]:
    """Two throwaway PostgreSQL databases for one test module (to compare two stores)."""
    with _throwaway_database() as first, _throwaway_database() as second:
        yield first, second


@pytest.fixture
def new_pg_database() -> Iterator[str]:
    """An empty PostgreSQL database of its own (for migration tests)."""
    with _throwaway_database() as url:
        yield url


@pytest.fixture
def new_pg_store(new_pg_database: str) -> Iterator[Store]:
    """A migrated store in a PostgreSQL database of its own (state no other test shares)."""
    s = Store(new_pg_database)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def _migrated_pg(pg_database: str) -> str:
    store = Store(pg_database)
    store.migrate()
    store.dispose()
    return pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    """A migrated, empty store: a SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'store.db'}")
        s.migrate()
    else:
        s = Store(request.getfixturevalue("_migrated_pg"))
        tables = ", ".join(t.name for t in metadata.sorted_tables)
        with s.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield s
    s.dispose()
