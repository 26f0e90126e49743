"""The exchange tests' world: the sample service items, identifiers and the API handle.

A module of its own (not conftest) so that tests import it by a name no other test
folder uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from exchange import Hub
from tongban.identifiers import credit_check_char, id_check_char, org_code_check_char

ITEM = "11110000RS0201"  # 生育津贴申领: identity (公安), marriage (民政), insurance (人社)
FOOD = "11110000SC0102"  # 食品经营许可: business license and registration (市场监管)


def citizen_id(region: str, born: str, seq: str) -> str:
    return region + born + seq + id_check_char(region + born + seq)


def credit_code(org8: str, region: str = "110105") -> str:
    org = org8 + org_code_check_char(org8)
    first17 = "91" + region + org
    return first17 + credit_check_char(first17)


@dataclass(frozen=True)
class World:
    person: str
    namesakes: tuple[str, str]
    enterprise: str
    license_id: str
    url: str  # the store


@dataclass
class Api:
    base: str
    hub: Hub
    world: World

    def client(self, client_id: str, *, rate_limit: int | None = None) -> dict[str, str]:
        """Register a client; headers with its key and a stated purpose."""
        _, key = self.hub.clients.add(client_id, f"审批系统 {client_id}", rate_limit=rate_limit)
        assert key is not None
        return {
            "X-API-Key": key,
            "X-Service-Item": ITEM,
            "X-Case-Number": f"{client_id}-001",
            "X-Operator": "%E5%BC%A0%E4%B8%89",
        }

    def get(self, path: str, headers: dict[str, str], **kw: object) -> httpx.Response:
        return httpx.get(self.base + path, headers=headers, timeout=30, **kw)  # type: ignore[arg-type]
