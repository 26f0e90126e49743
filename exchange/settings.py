"""Settings of the exchange API (``TONGBAN_EXCHANGE_*``), loaded once and passed down.

>>> s = ExchangeSettings(rate_window_s=60)
>>> s.audience
'tongban-exchange'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ExchangeSettings", "load_exchange_settings"]


class ExchangeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TONGBAN_EXCHANGE_", extra="forbid")

    audience: str = Field(
        default="tongban-exchange",
        description="The ``aud`` a client's JWT assertion must name.",
    )
    assertion_max_age_s: int = Field(
        default=300, ge=10, le=3600, description="Longest lifetime a JWT assertion may have."
    )
    rate_window_s: int = Field(
        default=60, ge=1, le=3600, description="Length of a rate-limit window, seconds."
    )
    default_rate_limit: int = Field(
        default=600, ge=1, description="Requests a new client may make per window."
    )
    sign_answers: bool = Field(
        default=True, description="Sign every evidence answer (detached JWS, X-JWS-Signature)."
    )
    hub_seal_code: str = Field(
        default="exchange",
        max_length=18,
        description="authority_code of the hub's own seal, which signs the answers.",
    )
    anchor_interval_s: int = Field(
        default=300,
        ge=0,
        description="Time-stamp the audit chain's head this often, seconds (0: never).",
    )
    anchor_root: Path | None = Field(
        default=None,
        description="PEM file of the trusted hub root that audit anchors are checked"
        " against; default <data_dir>/vault/hub-root.pem, written by the first anchor.",
    )

    def anchor_root_path(self, data_dir: Path) -> Path:
        return self.anchor_root or data_dir / "vault" / "hub-root.pem"


def load_exchange_settings(**overrides: object) -> ExchangeSettings:
    return ExchangeSettings(**overrides)  # type: ignore[arg-type]
