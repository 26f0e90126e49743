"""Settings for the whole hub, loaded once and passed down.

Values come, highest priority first, from ``TONGBAN_*`` environment variables, then a
TOML settings file (``TONGBAN_SETTINGS_FILE``, default ``tongban.toml`` in the working
directory, if present), then the defaults below: the embedded deployment, a SQLite
store and a local object directory under ``./data``. A sync takes its share of them as
one :class:`tongban.options.SyncOptions` (``SyncOptions.from_settings(settings)``).

    >>> settings = Settings(data_dir="/tmp/hub")
    >>> settings.store_url
    'sqlite:////tmp/hub/tongban.db'
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tongban.identifiers.id_number import RegionCheck
from tongban.options import BATCH_SIZE, DEFAULT_REGION_CHECK, QUALITY_GROUP

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TONGBAN_", extra="forbid")

    data_dir: Path = Field(default=Path("data"), description="Root of the embedded deployment.")
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL of the shared store; default: SQLite file in data_dir.",
    )
    region_check: RegionCheck = Field(
        default=DEFAULT_REGION_CHECK,
        description=(
            "How the region part of an ID number is checked: against every code GB/T 2260"
            " has listed since 1980, or only against the province prefix."
        ),
    )
    batch_size: int = Field(
        default=BATCH_SIZE, ge=1, le=100_000, description="Rows per store write."
    )
    sync_worker: bool = Field(
        default=False,
        description="Fetch, map and normalize in a worker process while the syncing"
        " process validates, merges and writes. On two cores shared with PostgreSQL it is"
        " no faster (handing pages over costs what it saves) and adds about 130 MB, so it"
        " is off by default; worth it with more cores.",
    )
    quality_group: int = Field(
        default=QUALITY_GROUP,
        ge=1,
        le=1_000_000,
        description="Records validated together by the data-quality gate; a failure"
        " part-way through a group re-reads the group on the next run.",
    )
    sources_dir: Path | None = Field(
        default=None,
        description="Directory of extra source definitions (YAML); they add to, or replace"
        " by name, the bundled ones.",
    )

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def store_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir.resolve() / 'tongban.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("TONGBAN_SETTINGS_FILE", "tongban.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment and the settings file."""
    return Settings(**overrides)  # type: ignore[arg-type]
