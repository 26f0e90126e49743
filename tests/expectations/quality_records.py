"""Reproducible mapped records (canonical names, raw values) for the data-quality tests.

Clean people, enterprises and licenses as department systems send them (mixed date
spellings, 男/女 genders, the odd 15-digit ID number), and dirt whose expected rule is
known for every record it touches.
"""

from __future__ import annotations

import random
from typing import Any

from tongban.identifiers import credit_check_char, id_check_char, org_code_check_char
from tongban.identifiers.regions import region_codes

Record = dict[str, Any]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红"
_REGIONS: list[str] = []


def _regions() -> list[str]:
    if not _REGIONS:
        _REGIONS.extend(sorted(c for c in region_codes() if not c.endswith("00")))
    return _REGIONS


def id_number(rng: random.Random, *, male: bool | None = None) -> tuple[str, str]:
    """A valid 18-character ID number and its ``YYYYMMDD`` birth date."""
    born = f"{rng.randrange(1930, 2015)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    male = rng.random() < 0.5 if male is None else male
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{rng.choice(_regions())}{born}{sequence:03d}"
    return first17 + id_check_char(first17), born


def credit_code(rng: random.Random) -> str:
    """A valid unified social credit code of an enterprise (authority 9, type 1)."""
    body8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org = body8 + org_code_check_char(body8)
    first17 = f"91{rng.choice(_regions())}{org}"
    return first17 + credit_check_char(first17)


def person(rng: random.Random) -> Record:
    number, born = id_number(rng)
    male = int(number[16]) % 2 == 1
    year, month, day = born[:4], born[4:6], born[6:]
    spelled = rng.choice((f"{year}-{month}-{day}", born, f"{year}年{int(month)}月{int(day)}日"))
    return {
        "id_number": number if rng.random() > 0.05 else f" {number.lower()} ",
        "name": rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2)))),
        "gender": rng.choice(("1", "男")) if male else rng.choice(("2", "女")),
        "birth_date": spelled,
        "ethnicity": "01" if rng.random() < 0.9 else f"{rng.randrange(2, 57):02d}",
        "marital_status": rng.choice(("10", "20", "21", "30", "40")),
        "address": f"北京市西城区{rng.randrange(1, 300)}号",
        "phone": f"13{rng.randrange(10**8, 10**9)}",
    }


def people(n: int, seed: int = 7) -> list[Record]:
    rng = random.Random(seed)
    return [person(rng) for _ in range(n)]


def enterprise(rng: random.Random) -> Record:
    rep, _ = id_number(rng)
    code = credit_code(rng)
    return {
        "credit_code": code,
        "name": f"{rng.choice(_SURNAMES)}氏科技有限公司",
        "enterprise_type": "有限责任公司",
        "legal_rep_id_number": rep,
        "legal_rep_name": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
        "registered_capital": f"{rng.randrange(10, 10000)}.00",
        "established_on": f"{rng.randrange(1990, 2024)}-0{rng.randrange(1, 10)}-15",
        "region_code": code[2:8],
        "status": "存续",
    }


def license_record(rng: random.Random, holder_code: str, *, type_code: str = "11100000MB0143118A"
                   ) -> Record:  # fmt: skip
    start = rng.randrange(2015, 2024)
    return {
        "license_type_code": type_code,
        "license_type_name": "营业执照",
        "license_number": f"NO{rng.randrange(10**9, 10**10)}",
        "holder_name": f"{rng.choice(_SURNAMES)}氏科技有限公司",
        "holder_id": holder_code,
        "holder_id_type": "001",
        "issuer_name": "市场监督管理局",
        "issue_date": f"{start}-03-01",
        "valid_from": f"{start}-03-01",
        "valid_until": f"{start + 10}-02-28",
        "jurisdiction_code": "110102",
        "status": "有效",
        "fields": {"capital": "100"},
    }


def break_checksum(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")
