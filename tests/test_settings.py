from __future__ import annotations

import pytest
from pydantic import ValidationError

from tongban.settings import load_settings


def test_defaults_are_the_embedded_deployment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for var in ("TONGBAN_DATA_DIR", "TONGBAN_DATABASE_URL", "TONGBAN_SETTINGS_FILE"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert settings.store_url == f"sqlite:///{tmp_path / 'data' / 'tongban.db'}"
    assert settings.region_check == "historical"


def test_environment_overrides_the_settings_file(monkeypatch, tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text('data_dir = "/srv/hub"\nbatch_size = 200\nregion_check = "province"\n')
    monkeypatch.setenv("TONGBAN_SETTINGS_FILE", str(config))
    monkeypatch.setenv("TONGBAN_BATCH_SIZE", "300")
    monkeypatch.delenv("TONGBAN_DATA_DIR", raising=False)
    settings = load_settings()
    assert str(settings.data_dir) == "/srv/hub"
    assert settings.region_check == "province"
    assert settings.batch_size == 300
    monkeypatch.setenv("TONGBAN_DATABASE_URL", "postgresql+psycopg://u:secret@db/tongban")
    settings = load_settings()
    assert settings.store_url.endswith("@db/tongban")
    assert "secret" not in repr(settings)


def test_bad_settings_name_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("TONGBAN_SETTINGS_FILE", str(tmp_path / "missing.toml"))
    monkeypatch.setenv("TONGBAN_REGION_CHECK", "nationwide")
    with pytest.raises(ValidationError, match="region_check"):
        load_settings()
