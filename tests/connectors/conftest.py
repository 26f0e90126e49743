"""A running sandbox for the connector tests: the department systems, for real."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import Sandbox, SandboxConfig


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = SandboxConfig(seed=20261122, people=400, enterprises=120)
    with Sandbox(tmp_path_factory.mktemp("sandbox"), config) as sb:
        yield sb
