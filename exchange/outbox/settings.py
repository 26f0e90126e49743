"""Settings of the outbox and its dispatcher (``TONGBAN_OUTBOX_*``), loaded once.

>>> s = OutboxSettings(province_url="http://127.0.0.1:9", province_app_key="k",
...                    province_secret="s", supervision_url="http://127.0.0.1:9",
...                    supervision_token="t")
>>> sorted(s.receivers())
['province', 'supervision']
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from exchange.outbox.transport import HttpReceiver, Receiver, bearer_auth, province_auth
from tongban.errors import FatalError

__all__ = ["DispatchOptions", "OutboxSettings"]


class DispatchOptions(BaseSettings):
    """How a dispatcher claims, retries and gives up."""

    model_config = SettingsConfigDict(env_prefix="TONGBAN_OUTBOX_", extra="ignore")

    lanes_per_claim: int = Field(
        default=500, ge=1, le=10_000, description="Cases (lanes) a dispatcher takes at once."
    )
    max_attempts: int = Field(
        default=15, ge=1, description="Attempts before a message goes to the dead letters."
    )
    backoff_base: float = Field(default=1.0, gt=0, description="First retry delay, seconds.")
    backoff_cap: float = Field(default=300.0, gt=0, description="Longest retry delay, seconds.")
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a claim holds a lane; longer than a send and its answer may take.",
    )
    poll_seconds: float = Field(default=0.5, gt=0, description="Idle wait between claims.")


class OutboxSettings(DispatchOptions):
    """The two receiving systems and their credentials, besides the dispatch options."""

    province_url: str | None = None
    province_app_key: str | None = None
    province_secret: SecretStr | None = None
    supervision_url: str | None = None
    supervision_token: SecretStr | None = None
    timeout: float = Field(default=10.0, gt=0, description="Seconds per HTTP call.")

    def receivers(self) -> dict[str, Receiver]:
        if not (self.province_url and self.province_app_key and self.province_secret):
            raise FatalError(
                "set TONGBAN_OUTBOX_PROVINCE_URL, _PROVINCE_APP_KEY and"
                " _PROVINCE_SECRET to push to the provincial platform"
            )
        if not (self.supervision_url and self.supervision_token):
            raise FatalError(
                "set TONGBAN_OUTBOX_SUPERVISION_URL and _SUPERVISION_TOKEN to push to e-supervision"
            )
        return {
            "province": HttpReceiver(
                "province", self.province_url,
                province_auth(self.province_app_key, self.province_secret.get_secret_value()),
                timeout=self.timeout,
            ),
            "supervision": HttpReceiver(
                "supervision", self.supervision_url,
                bearer_auth(self.supervision_token.get_secret_value()), timeout=self.timeout,
            ),
        }  # fmt: skip
