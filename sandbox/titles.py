"""不动产登记 titles: what the real-estate registry holds, with its dirt and the manifest.

Title *i* (of ``people // 2``) belongs to person ``2i``; a married couple (persons ``2i``
and ``2i+1``) holds it 共同共有, and some titles are held 按份共有 with an enterprise. A
holder is a repeated ``QLR`` element: ``QLRMC`` name, ``ZJZL`` kind of ID (1 身份证,
8 统一社会信用代码), ``ZJHM`` number, ``GYFS`` 共有方式, ``QLBL`` share.

Dirt, each listed in the manifest under the rule the hub must quarantine it with:

* ``holder_bad_id``: a co-holder's ID number with a wrong check digit. The title is
  quarantined (``license.holders.id_number.checksum``), so none of its holders is
  emitted as a person: a title is stored with all its holders or not at all.
* ``holder_name_missing``: a co-holder without a name. The title is stored (a holder's
  name is not required of a license); the holder, as a person, is quarantined under
  ``person.name.missing`` with the record id ``<title id>/<ID number>``.
* ``issuer_bad_check``: the registration authority's credit code with a wrong check
  character (``license.issuer_code.credit_code.checksum``), caught at sync.
* ``holders_missing``: no holder list at all (``license.holder_id_type.missing``).

Some addresses (坐落) hold a character outside GBK (䶮), which the GB18030 answers carry.
"""

from __future__ import annotations

from typing import Any

from sandbox import _vocab as v
from sandbox import dirt as dk
from sandbox._draw import Draws
from sandbox.dirt import DirtRates
from sandbox.manifest import ManifestEntry, Written
from sandbox.world import World, _authority_code

__all__ = ["SOURCE", "TITLE_TYPE", "title_count", "title_record", "written"]

SOURCE = "zrzy_realestate"
TITLE_TYPE = "111000000000135577001"  # 不动产权证书
_USES = ("住宅", "住宅", "住宅", "商业", "办公", "工业")
_CITIZEN, _ENTERPRISE = "1", "8"  # the registry's kinds of ID (证件种类)


def title_count(world: World) -> int:
    """One title for every two residents, at most 200: enough for every paging and dirt
    case the registry shows, while a large population (the scale runs) does not make
    every title a license to seal."""
    return max(1, min(world.people // 2, 200))


def _kinds(rates: DirtRates) -> tuple[tuple[str, float], ...]:
    """The registry's dirt kinds at rates drawn from the sandbox's own."""
    return (
        ("holder_bad_id", 2 * rates.id_bad_check),
        ("holder_name_missing", 2 * rates.name_missing),
        ("issuer_bad_check", rates.credit_bad_check),
        ("holders_missing", 2 * rates.name_missing),
    )


def _dirt(world: World, rates: DirtRates, i: int) -> str | None:
    x = Draws(world.seed, f"dirt:{SOURCE}", i).unit()
    edge = 0.0
    for kind, rate in _kinds(rates):
        edge += rate
        if x < edge:
            return kind
    return None


def _holder(name: str, kind: str, number: str, how: str, share: str | None) -> dict[str, Any]:
    return {"QLRMC": name, "ZJZL": kind, "ZJHM": number, "GYFS": how, "QLBL": share}


def title_record(
    world: World, rates: DirtRates, i: int
) -> tuple[dict[str, Any], list[ManifestEntry]]:
    """Title ``i`` as the registry serves it, and the manifest entries of its dirt."""
    owner = world.person(2 * i)
    d = Draws(world.seed, SOURCE, i)
    code = owner.residence_code
    dirt = _dirt(world, rates, i)
    holders: list[dict[str, Any]] = []
    second = 2 * i + 1 < world.people
    if second and world.couple_married(i):
        spouse = world.person(2 * i + 1)
        holders = [
            _holder(owner.name, _CITIZEN, owner.id_number, "共同共有", None),
            _holder(spouse.name, _CITIZEN, spouse.id_number, "共同共有", None),
        ]
    elif world.enterprises and d.chance(0.15):
        firm = world.enterprise(i % world.enterprises)
        holders = [
            _holder(owner.name, _CITIZEN, owner.id_number, "按份共有", "60%"),
            _holder(firm.name, _ENTERPRISE, firm.credit_code, "按份共有", "40%"),
        ]
    elif second and dirt in ("holder_bad_id", "holder_name_missing"):
        other = world.person(2 * i + 1)
        holders = [
            _holder(owner.name, _CITIZEN, owner.id_number, "按份共有", "50%"),
            _holder(other.name, _CITIZEN, other.id_number, "按份共有", "50%"),
        ]
    else:
        holders = [_holder(owner.name, _CITIZEN, owner.id_number, "单独所有", None)]
    registered = world.as_of.replace(year=world.as_of.year - d.between(0, 20), day=1)
    county = v.city_county(code)
    street = "䶮山路" if d.chance(0.05) else d.pick(v.STREETS)
    record: dict[str, Any] = {
        "YWH": f"BDC{code}{i:08d}",
        "BDCQZH": f"{county}不动产权第{registered.year}{i:07d}号",
        "BDCDYH": f"{code}{d.between(1, 999):03d}{d.between(1, 999):03d}GB{i:05d}"
        f"F{d.below(10**8):08d}",
        "ZL": f"{v.place_prefix(code)}{street}{d.between(1, 399)}号{d.between(1, 30)}幢"
        f"{d.between(1, 28)}{d.between(1, 4):02d}室",
        "YT": d.pick(_USES),
        "MJ": f"{d.between(40, 220)}.{d.below(100):02d}",
        "QLLX": "国有建设用地使用权/房屋所有权",
        "GYQK": holders[0]["GYFS"],
        "DJJG": f"{county}不动产登记中心",
        "DJJGDM": _authority_code(code, "zrzy"),
        "QXDM": code,
        "DBSJ": registered.isoformat(),
        "QSZT": "现势",
        "BGSJ": world.timeline(SOURCE, title_count(world)).iso(i),
        "QLRLIST": {"QLR": holders},
    }
    entries: list[ManifestEntry] = []
    record_id = record["YWH"]
    vd = Draws(world.seed, f"dirt-value:{SOURCE}", i)
    if dirt == "holder_bad_id" and len(holders) > 1 and holders[1]["ZJZL"] == _CITIZEN:
        holders[1]["ZJHM"] = dk.id_bad_check(holders[1]["ZJHM"], vd)
        entries.append(ManifestEntry(
            SOURCE, record_id, dirt, "QLRLIST.QLR[1].ZJHM", "quarantined",
            "license.holders.id_number.checksum", None, "holders",
        ))  # fmt: skip
    elif dirt == "holder_name_missing" and len(holders) > 1 and holders[1]["ZJZL"] == _CITIZEN:
        holders[1]["QLRMC"] = ""
        entries.append(ManifestEntry(
            SOURCE, f"{record_id}/{holders[1]['ZJHM']}", dirt, "QLRLIST.QLR[1].QLRMC",
            "quarantined", "person.name.missing", None, "name",
        ))  # fmt: skip
    elif dirt == "issuer_bad_check":
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        good = record["DJJGDM"]
        record["DJJGDM"] = good[:17] + alphabet[(alphabet.index(good[17]) + vd.between(1, 30)) % 31]
        entries.append(ManifestEntry(
            SOURCE, record_id, dirt, "DJJGDM", "quarantined",
            "license.issuer_code.credit_code.checksum", None, "issuer_code",
        ))  # fmt: skip
    elif dirt == "holders_missing":
        del record["QLRLIST"]
        entries.append(ManifestEntry(
            SOURCE, record_id, dirt, "QLRLIST", "quarantined", "license.holder_id_type.missing",
            None, "holders",
        ))  # fmt: skip
    return record, entries


def written(world: World, rates: DirtRates) -> Written:
    """The registry's record count and its dirt, for the manifest."""
    n = title_count(world)
    return Written(SOURCE, n, [e for i in range(n) for e in title_record(world, rates, i)[1]])
