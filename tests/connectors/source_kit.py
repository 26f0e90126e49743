"""The standard battery every source definition gets for free, as the Singer SDK
generates the same tests for every tap: run it on a definition and the environment
that reaches its system.

    >>> check_source(definition, env, tmp_path, expected_records=400)  # doctest: +SKIP

It checks that the definition syncs from its system and reconciles (every record read
ends stored or quarantined, the mapping matching the system's own schema); that paging
neither skips nor repeats across page boundaries (small pages leave exactly what large
pages leave); that an incremental run after a full one brings nothing new; and that
wrong credentials, where the system has any, are refused with the system's own message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors import sync_source
from connectors.definition import SourceDefinition
from tongban.errors import FatalError
from tongban.store import Store

_SECRET_ENV = ("password_env", "secret_env", "token_env", "key_env")


def _paged(definition: SourceDefinition, size: int) -> SourceDefinition:
    t = definition.transport
    if t.kind == "rest":
        pagination = t.pagination.model_copy(update={"limit": size})  # type: ignore[union-attr]
        t = t.model_copy(update={"pagination": pagination})
    else:
        t = t.model_copy(update={"page_size": size})
    return definition.model_copy(update={"transport": t})


def _store(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    store.migrate()
    return store


def check_source(
    definition: SourceDefinition,
    env: dict[str, str],
    directory: Path,
    *,
    expected_records: int | None = None,
    small_page: int = 7,
    large_page: int = 1000,
    before: tuple[SourceDefinition, ...] = (),
) -> None:
    """``before``: sources to sync first (a license source checks its holders are
    stored)."""
    small, large = _store(directory / "small.db"), _store(directory / "large.db")
    try:
        for other in before:
            for store in (small, large):
                assert sync_source(store, other, env=env).status == "succeeded"
        first = sync_source(small, _paged(definition, small_page), env=env)
        assert first.status == "succeeded" and first.reconciles, first
        assert first.pages > 1, "the system served everything on one page; no boundary tested"
        if expected_records is not None:
            assert first.read == expected_records
        whole = sync_source(large, _paged(definition, large_page), env=env)
        assert (whole.read, whole.inserted, whole.quarantined) == (
            first.read, first.inserted, first.quarantined,
        )  # fmt: skip
        assert small.checksum(cursors=False) == large.checksum(cursors=False)

        again = sync_source(small, definition, env=env)
        assert again.status == "succeeded"
        assert (again.inserted, again.updated) == (0, 0), "an incremental run brought changes"

        auth = getattr(definition.transport, "auth", None)
        secrets = [getattr(auth, f) for f in _SECRET_ENV if getattr(auth, f, None)]
        for variable in secrets:
            with pytest.raises(FatalError) as refused:
                sync_source(small, definition, env={**env, variable: "wrong-secret"}, full=True)
            said: Any = str(refused.value)
            assert said.startswith(f"{definition.name}: ") and len(said) > len(definition.name) + 10
    finally:
        small.dispose()
        large.dispose()
