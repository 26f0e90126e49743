from __future__ import annotations

from importlib import resources

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from tongban.store import Store
from tongban.store.schema import metadata


def _head() -> str:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("tongban.store").joinpath("migrations"))
    )
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def _check_from_empty(url: str) -> None:
    store = Store(url)
    assert store.schema_revision() is None
    store.migrate()
    assert store.schema_revision() == _head()
    tables = set(inspect(store.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    # The migrations build exactly what the models describe.
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    store.migrate()  # a second run is a no-op
    assert store.schema_revision() == _head()
    store.dispose()


def test_migrate_from_empty_sqlite(tmp_path):
    _check_from_empty(f"sqlite:///{tmp_path / 'empty.db'}")


def test_migrate_from_empty_postgres(new_pg_database):
    _check_from_empty(new_pg_database)
