"""Time-window paging against the 住建 registry, which answers only "changed between A and
B": every record read once whatever the window width and page size, edges falling on
equal change times included, and a pass cut after any page resumes exactly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from connectors import DefinitionError, load_definition, load_definitions, open_connector
from connectors._windows import windows
from connectors.definition import SourceDefinition
from sandbox import DirtRates, World
from sandbox.construction import SOURCE, ConstructionServer
from tongban.errors import FatalError

WORLD = World(seed=5, people=80, enterprises=90)
TIMELINE = WORLD.timeline(SOURCE, WORLD.enterprises)


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    with ConstructionServer(WORLD, DirtRates.none(), api_key="key") as server:
        yield {"TONGBAN_ZJJ_URL": server.url, "TONGBAN_ZJJ_API_KEY": "key"}


def _windowed(window: str, limit: int, start: str | None = None) -> SourceDefinition:
    d = load_definitions()[SOURCE]
    pg = d.transport.pagination  # type: ignore[union-attr]
    update: dict[str, object] = {
        "window": window, "within": pg.within.model_copy(update={"limit": limit}),  # type: ignore[union-attr]
    }  # fmt: skip
    if start is not None:
        update["start"] = start
    t = d.transport.model_copy(update={"pagination": pg.model_copy(update=update)})  # type: ignore[union-attr]
    return d.model_copy(update={"transport": t})


def _read(d: SourceDefinition, env: dict[str, str], cursor: object = None, stop: int = -1):
    """Records read after ``cursor``, and the cursor after page ``stop`` (-1: all)."""
    connector = open_connector(d, env=env)
    ids: list[str] = []
    try:
        for n, page in enumerate(connector.pages(cursor)):
            ids.extend(str(r[0]) for r in page.records)
            cursor = page.cursor
            if n == stop:
                break
    finally:
        connector.close()
    return ids, cursor


# Windows whose edges are the registry's change-time slots: records changed exactly at an
# edge (six or so share each instant) must open the next window, not close this one.
EDGE = f"{TIMELINE.step}s"
ON_EDGES = TIMELINE.start.isoformat()


@pytest.mark.parametrize(
    ("window", "limit", "start"),
    [
        ("7d", 200, None),
        ("1d", 3, None),
        (EDGE, 2, ON_EDGES),
        (f"{TIMELINE.step * 5}s", 4, ON_EDGES),
    ],
)
def test_every_record_is_read_once_whatever_the_windows_and_pages(env, window, limit, start):
    ids, cursor = _read(_windowed(window, limit, start), env)
    assert Counter(ids).most_common(1)[0][1] == 1
    assert len(ids) == WORLD.enterprises
    assert cursor["to"] is None and cursor["next"] is None


def test_a_pass_cut_after_any_page_resumes_exactly(env):
    d = _windowed(f"{TIMELINE.step * 3}s", 4, ON_EDGES)
    whole, _ = _read(d, env)
    for stop in (0, 1, 2, 5, 9, 17):
        first, cursor = _read(d, env, stop=stop)
        rest, _ = _read(d, env, cursor)
        assert first + rest == whole, f"cut after page {stop}: {cursor}"


def test_the_cursor_passes_whole_windows_only(env):
    """The last window, cut short at now, is read but not passed: ``until`` is ``start``
    plus whole windows, the same for every pass in that window, and the next pass asks
    from there."""
    d = _windowed("7d", 50)
    start = datetime.fromisoformat("2026-09-01T00:00:00+08:00")  # the bundled default
    _, cursor = _read(d, env)
    until = datetime.fromisoformat(cursor["until"])
    assert (until - start) % timedelta(days=7) == timedelta(0)
    assert timedelta(0) <= datetime.now(until.tzinfo) - until < timedelta(days=7)
    again, after = _read(d, env, cursor)
    assert again == [] and after == cursor  # the sandbox's changes are all older


def test_windows_are_half_open_and_the_last_is_cut_short():
    start = TIMELINE.start
    got = list(windows(start, start + timedelta(hours=50), timedelta(days=1)))
    assert got == [
        (start, start + timedelta(days=1)),
        (start + timedelta(days=1), start + timedelta(days=2)),
        (start + timedelta(days=2), start + timedelta(hours=50)),
    ]


def test_a_window_wider_than_the_system_allows_stops_with_its_own_message(env):
    with pytest.raises(FatalError) as info:
        _read(_windowed("60d", 50), env)
    assert "HTTP 400" in str(info.value) and "查询时间跨度须在 0 到 31 天之间" in str(info.value)


def test_a_cursor_of_another_paging_kind_is_refused(env):
    stale = {"since": None, "next": "abc", "high_water": None}
    with pytest.raises(FatalError, match="not a time-window cursor"):
        _read(_windowed("7d", 50), env, stale)


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (("window: 7d", "window: 7 days"), "'7 days' is not a width"),
        (("window: 7d", "window: 0d"), "'0d' is not a width"),
        (("kind: window\n", "kind: window\n    lag: soon\n"), "'soon' is not a duration"),
        (
            ("start: ${TONGBAN_ZJJ_START:-2026-09-01T00:00:00+08:00}", "start: '2026-09-01T00:00'"),
            "needs its UTC offset",
        ),
    ],
)
def test_a_bad_window_is_refused_at_load_naming_the_key(tmp_path: Path, edit, said):
    from connectors.definition import bundled_sources_dir

    text = (bundled_sources_dir() / f"{SOURCE}.yaml").read_text("utf-8")
    assert edit[0] in text
    path = tmp_path / f"{SOURCE}.yaml"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    message = str(info.value)
    assert message.startswith(f"{path}: line ") and "transport.rest.pagination.window." in message
    assert said in message


def test_windows_and_incremental_do_not_mix(tmp_path: Path):
    from connectors.definition import bundled_sources_dir

    text = (bundled_sources_dir() / f"{SOURCE}.yaml").read_text("utf-8")
    path = tmp_path / f"{SOURCE}.yaml"
    path.write_text(
        text.replace("record_id: id", "  incremental: {param: since, field: updated_at}\n"
                     "record_id: id"),
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(DefinitionError, match="time windows ask by change time themselves"):
        load_definition(path)
