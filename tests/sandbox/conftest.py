"""Fixtures: one small world, and a running sandbox shared by a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import DirtRates, Sandbox, SandboxConfig, World


@pytest.fixture(scope="session")
def world() -> World:
    return World(seed=20261122, people=400, enterprises=120)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = SandboxConfig(seed=20261122, people=400, enterprises=300, dirt=DirtRates())
    with Sandbox(tmp_path_factory.mktemp("sandbox"), config) as sb:
        yield sb
