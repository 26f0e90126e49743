"""Settings of e-supervision (``TONGBAN_SUPERVISION_*``), loaded once and passed down."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from exchange.supervision.calendar import HolidayCalendar

__all__ = ["SupervisionSettings"]


class SupervisionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TONGBAN_SUPERVISION_", extra="forbid")

    calendar_file: Path | None = Field(
        default=None,
        description="YAML file adding or overriding years of the holiday calendar.",
    )
    repeat_window_days: float = Field(
        default=7.0, ge=0, description="A second application for the same item by the same"
        " applicant within this many days is flagged as a repeated submission.",
    )  # fmt: skip
    recent_conclusions_days: int = Field(
        default=60, ge=1, description="How far back the sweep looks for cases concluded late.",
    )  # fmt: skip

    def calendar(self) -> HolidayCalendar:
        return HolidayCalendar.from_file(self.calendar_file)

    @property
    def repeat_window(self) -> timedelta:
        return timedelta(days=self.repeat_window_days)
