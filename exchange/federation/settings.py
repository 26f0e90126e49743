"""Settings of the federation (``TONGBAN_FEDERATION_*``), loaded once and passed down.

>>> s = FederationSettings(hub_id="county-a")
>>> s.timeout_s, s.offers
(5.0, None)
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["FederationSettings", "load_federation_settings"]

HUB_ID = r"[a-z][a-z0-9-]{1,15}"


class FederationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TONGBAN_FEDERATION_", extra="forbid")

    hub_id: str = Field(
        default="hub",
        pattern=HUB_ID,
        description="This hub's id among its peers (e.g. province, county-a); peers add it"
        " under this id.",
    )
    offers: list[str] | None = Field(
        default=None,
        description="Resources this hub offers to peers (its published catalog); default"
        " every shared resource but the access log.",
    )
    timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long a peer has to answer before the client gets 503 naming it.",
    )
    connect_timeout_s: float = Field(
        default=1.0, gt=0, le=30, description="How long a peer has to accept the connection."
    )
    catalog_refresh_s: int = Field(
        default=600, ge=10, description="How often each peer's published catalog is fetched."
    )
    catalog_poll_s: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How often the hub looks for peers whose catalog it has not fetched yet.",
    )
    request_ttl_s: int = Field(
        default=60,
        ge=5,
        le=600,
        description="Lifetime of a signed peer request; a peer's clock may differ this much.",
    )
    crl_max_age_s: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="How long a peer's CRL is kept before it is fetched again (sooner at its"
        " nextUpdate); a seal the peer revokes is refused here at most this much later.",
    )


def load_federation_settings(**overrides: object) -> FederationSettings:
    return FederationSettings(**overrides)  # type: ignore[arg-type]
