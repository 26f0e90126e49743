"""A sync's options: built once from the settings, frozen, and checked when made."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from connectors import load_definitions, sync_source
from tongban import Settings, SyncOptions
from tongban.identifiers import id_check_char
from tongban.settings import load_settings
from tongban.store import Store


def _hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TONGBAN_SETTINGS_FILE", str(tmp_path / "missing.toml"))
    for var in ("TONGBAN_DATA_DIR", "TONGBAN_BATCH_SIZE", "TONGBAN_QUALITY_GROUP",
                "TONGBAN_REGION_CHECK", "TONGBAN_SYNC_WORKER"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)


def test_the_settings_give_every_option(monkeypatch, tmp_path):
    _hub(monkeypatch, tmp_path)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("TONGBAN_BATCH_SIZE", "300")
    monkeypatch.setenv("TONGBAN_QUALITY_GROUP", "900")
    monkeypatch.setenv("TONGBAN_REGION_CHECK", "province")
    monkeypatch.setenv("TONGBAN_SYNC_WORKER", "true")
    options = SyncOptions.from_settings(load_settings())
    assert options == SyncOptions(
        batch_size=300, quality_group=900, region_check="province", worker=True,
        cache_dir=tmp_path / "hub" / "cache",
    )  # fmt: skip
    assert (options.validate, options.full) == (True, False)


def test_an_unconfigured_hub_runs_with_the_options_defaults(monkeypatch, tmp_path):
    _hub(monkeypatch, tmp_path)
    settings = load_settings()
    assert SyncOptions.from_settings(settings) == SyncOptions(cache_dir=settings.cache_dir)


def test_overrides_go_on_top_and_leave_the_original_as_it_was():
    options = SyncOptions.from_settings(Settings(batch_size=500), full=True, validate=False)
    assert (options.batch_size, options.full, options.validate) == (500, True, False)
    again = options.but(full=False)
    assert (again.full, options.full) == (False, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.full = False  # type: ignore[misc]
    with pytest.raises(TypeError, match="batch"):
        SyncOptions().but(batch=3)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"batch_size": 0}, "sync option batch_size: 0 is not at least 1"),
        ({"quality_group": -5}, "sync option quality_group: -5 is not at least 1"),
        ({"prefetch_pages": -1}, "sync option prefetch_pages: -1 is negative"),
        ({"region_check": "nationwide"},
         "sync option region_check: 'nationwide' is not one of historical, province"),
    ],
)  # fmt: skip
def test_a_bad_option_is_refused_naming_it(changes, said):
    with pytest.raises(ValueError) as refused:
        SyncOptions(**changes)
    assert str(refused.value) == said


def _person(region: str, n: int) -> str:
    first17 = f"{region}19491231{2 * n + 2:03d}"
    return f"{first17}{id_check_char(first17)},姓名{n},女,1949-12-31,138001380{n:02d}"


def test_a_sync_runs_as_its_options_say(tmp_path):
    """The options reach the load path: four drop files of three rows (a page each) are
    committed six rows at a time with a batch size of 5, and a full pass with another batch
    size and region check reads them again as one batch, now taking the number whose
    region GB/T 2260 never listed but whose province is real."""
    drop = tmp_path / "drop"
    drop.mkdir()
    header = "公民身份号码,姓名,性别,出生日期,联系电话\n"
    for day in range(4):
        rows = [_person("119999" if 3 * day + i == 7 else "110105", 3 * day + i) for i in range(3)]
        path = drop / f"shebao_2026110{day + 1}.csv"
        path.write_text(header + "\n".join(rows) + "\n", encoding="gbk")
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.migrate()
    definition = load_definitions()["renshe_insurance"]
    env = {"TONGBAN_RENSHE_DROP_DIR": str(drop)}
    seen: list[int] = []
    options = SyncOptions(batch_size=5, validate=False)
    first = sync_source(store, definition, options, env=env, on_batch=lambda s: seen.append(s.read))
    assert sorted(set(seen)) == [6, 12] and (first.inserted, first.quarantined) == (11, 1)
    [held] = store.quarantined(source="renshe_insurance")
    assert held["rule"] == "id_number.region"
    seen.clear()
    wider = options.but(full=True, batch_size=100, region_check="province")
    again = sync_source(store, definition, wider, env=env, on_batch=lambda s: seen.append(s.read))
    assert set(seen) == {12} and (again.unchanged, again.inserted) == (11, 1)
    kinds = [run["kind"] for run in store.runs(source="renshe_insurance")]
    assert sorted(kinds) == ["full sync", "sync"]
    store.dispose()
