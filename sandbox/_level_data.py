"""What each hub of the federation holds (``sandbox/levels.py``): the residents of both
counties, the province's population, marriage and insurance records and sealed marriage
certificates, each county's enterprises, and every hub's approval system."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.levels import LevelHub

__all__ = ["MARRIAGE_CERTIFICATE", "SPECS", "HubSpec", "Resident", "make_residents", "seed"]

MARRIAGE_CERTIFICATE = "11100000000013514R001"  # 结婚证, in the province's vault
_SURNAMES = "王李张刘陈杨黄赵吴周林郑"
_GIVEN = ("伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟")


@dataclass(frozen=True)
class HubSpec:
    hub_id: str
    name: str
    region: str  # GB/T 2260
    client_id: str
    client_name: str
    offers: tuple[str, ...] | None  # None: every shared resource


SPECS = (
    HubSpec("province", "福建省数据共享交换平台", "35", "zwfw-fj", "福建省网上办事大厅", None),
    HubSpec(
        "county-a", "闽侯县数据共享交换平台", "350121", "zwfw-mh", "闽侯县审批系统",
        ("enterprise",),
    ),
    HubSpec(
        "county-b", "连江县数据共享交换平台", "350122", "zwfw-lj", "连江县审批系统",
        ("enterprise",),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Resident:
    """A person the province holds: marriage and insurance records for some."""

    id_number: str
    name: str
    county: str
    married: bool
    insured: bool


def _citizen(region: str, born: str, seq: int) -> str:
    from tongban.identifiers import id_check_char

    first17 = f"{region}{born}{seq:03d}"
    return first17 + id_check_char(first17)


def _credit_code(region: str, n: int) -> str:
    from tongban.identifiers import credit_check_char, org_code_check_char

    body = f"MA{n:06d}"
    first17 = "91" + region + body + org_code_check_char(body)
    return first17 + credit_check_char(first17)


def make_residents(people: int) -> list[Resident]:
    counties = [s for s in SPECS if s.hub_id != "province"]
    out = []
    for i in range(people):
        county = counties[i % len(counties)]
        born = f"{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}"
        name = _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i // len(_SURNAMES)) % len(_GIVEN)]
        out.append(
            Resident(_citizen(county.region, born, 100 + i), name, county.hub_id,
                     married=i % 2 == 0, insured=i % 3 == 0)
        )  # fmt: skip
    return out


def seed(hub: LevelHub, residents: Sequence[Resident], enterprises: int, licenses: int) -> None:
    from exchange import ClientRegistry, ExchangeSettings
    from tongban.pipeline import load_records
    from tongban.store import Store

    store = Store(hub.database_url)
    try:
        store.migrate()
        if hub.hub_id == "province":
            base = {
                r.id_number: {"id_number": r.id_number, "name": r.name,
                              "gender": "1" if int(r.id_number[16]) % 2 else "2",
                              "birth_date": r.id_number[6:14]}
                for r in residents
            }  # fmt: skip
            batches: Mapping[str, list[tuple[str, dict[str, Any]]]] = {
                "gongan_population": [
                    (k, {**v, "address": f"福建省{r.county}某街{i}号"})
                    for i, (r, (k, v)) in enumerate(zip(residents, base.items(), strict=True))
                ],
                "minzheng_marriage": [
                    (r.id_number, {**base[r.id_number], "marital_status": "20"})
                    for r in residents if r.married
                ],
                "renshe_insurance": [
                    (r.id_number, {**base[r.id_number], "phone": f"1380000{i:04d}"})
                    for i, r in enumerate(residents) if r.insured
                ],
            }  # fmt: skip
            for source, rows in batches.items():
                summary = load_records(store, "person", rows, source=source)
                if summary.quarantined:
                    raise RuntimeError(f"{source}: {store.quarantined()[:3]}")
            _issue_certificates(hub, store, [r for r in residents if r.married][:licenses])
        else:
            local = [r for r in residents if r.county == hub.hub_id]
            rows = []
            for i in range(enterprises):
                code = _credit_code(hub.spec.region, 1000 * SPECS.index(hub.spec) + i)
                rep = local[i % len(local)] if local else None
                hub.enterprises.append(code)
                rows.append((code, {
                    "credit_code": code, "name": f"{hub.spec.name[:3]}第{i + 1}食品有限公司",
                    "enterprise_type": "有限责任公司", "registered_capital": "100",
                    "legal_rep_name": rep.name if rep else "", "established_on": "2021-03-01",
                    "legal_rep_id_number": rep.id_number if rep else "",
                    "address": f"{hub.spec.name[:3]}城关镇{i + 1}号", "status": "存续",
                }))  # fmt: skip
            summary = load_records(store, "enterprise", rows, source="scjg_enterprise")
            if summary.quarantined:
                raise RuntimeError(f"scjg_enterprise: {store.quarantined()[:3]}")
        _, key = ClientRegistry(store, ExchangeSettings()).add(
            hub.spec.client_id,
            hub.spec.client_name,
            department=hub.spec.name[:3] + "政务服务中心",
            rate_limit=hub.rate_limit,
        )
        assert key is not None
        hub.api_key = key
    finally:
        store.dispose()


def _issue_certificates(hub: LevelHub, store: Any, married: Sequence[Resident]) -> None:
    """The province's 民政 sends marriage certificates; its vault seals them."""
    from license_vault import Vault, load_vault_settings
    from tongban.pipeline import load_records

    issuer = _credit_code("350100", 9001)  # 福建省民政厅
    rows = [
        (f"jhz-{r.id_number}", {
            "license_type_code": MARRIAGE_CERTIFICATE, "license_type_name": "结婚证",
            "license_number": f"J350100-2020-{i:06d}", "holder_name": r.name,
            "holder_id": r.id_number, "holder_id_type": "111", "issuer_name": "福建省民政厅",
            "issuer_code": issuer, "issue_date": "2020-05-20", "valid_from": "2020-05-20",
            "valid_until": "", "jurisdiction_code": "350100", "status": "valid",
        })
        for i, r in enumerate(married)
    ]  # fmt: skip
    if not rows:
        return
    summary = load_records(store, "license", rows, source="minzheng_license")
    if summary.quarantined:
        raise RuntimeError(f"minzheng_license: {store.quarantined()[:3]}")
    settings = load_vault_settings(
        data_dir=hub.data_dir, hub_name=hub.spec.name,
        pki_base_url=f"{hub.url}/licenses/pki", verify_base_url=f"{hub.url}/licenses/verify",
    )  # fmt: skip
    report = Vault(store, settings).issue_all()
    if report.refused:
        raise RuntimeError(f"marriage certificates not issued: {report.refused[:3]}")
