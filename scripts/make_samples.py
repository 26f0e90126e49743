"""Regenerate the bundled sample files under tongban/data/samples (deterministic).

The samples mix clean rows, rows that normalize (15-digit numbers, lower-case x,
full-width digits, stray spaces, mixed date spellings) and rows that must be
quarantined; manifest.json lists every row that must be quarantined and its rule.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

from tongban.identifiers import credit_check_char, id_check_char, org_code_check_char
from tongban.identifiers.credit_code import ALPHABET
from tongban.identifiers.regions import region_codes

OUT = Path(__file__).resolve().parent.parent / "tongban" / "data" / "samples"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰志红晨宇浩然欣怡子涵梓萱"
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平街", "朝阳路", "新华街", "文化路"]


def person_id(rng: random.Random, regions: list[str], born: date, male: bool) -> str:
    seq = rng.randrange(0, 100) * 10 + rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    first17 = f"{rng.choice(regions)}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def credit_code(rng: random.Random, region: str) -> str:
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org = body + org_code_check_char(body)
    first17 = "91" + region + org
    return first17 + credit_check_char(first17)


def main() -> None:
    rng = random.Random(20261122)
    regions = sorted(c for c in region_codes() if not c.endswith("00"))
    OUT.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, list[dict[str, str]]] = {"people": [], "enterprises": [], "licenses": []}

    people = []
    for _ in range(60):
        male = rng.random() < 0.5
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        pid = person_id(rng, regions, born, male)
        people.append({
            "id_number": pid,
            "name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2]))),
            "gender": rng.choice(["男", "1", "M"] if male else ["女", "2", "F"]),
            "birth_date": rng.choice([f"{born:%Y%m%d}", f"{born.year}-{born.month}-{born.day}",
                                      f"{born.year}年{born.month}月{born.day}日", ""]),
            "ethnicity": "01",
            "address": f"{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
            "phone": f"13{rng.randrange(0, 10**9):09d}",
        })  # fmt: skip
    # Rows that normalize.
    p = people[0]
    for seq in range(100, 1000):
        first17 = p["id_number"][:14] + f"{seq:03d}"
        if id_check_char(first17) == "X" and seq % 2 == int(p["id_number"][16]) % 2:
            p["id_number"] = first17 + "x"
            break
    people[1]["id_number"] = (
        " " + people[1]["id_number"][:6] + " " + people[1]["id_number"][6:] + " "
    )
    people[2]["id_number"] = people[2]["id_number"].translate(
        {ord(d): 0xFF10 + int(d) for d in "0123456789"}
    )
    old = people[3]
    born = date(1962, 5, 17)
    first17 = old["id_number"][:6] + f"{born:%Y%m%d}" + "123"
    old.update(id_number=first17[:6] + first17[8:17], birth_date="1962-05-17", gender="男")
    # Rows that must be quarantined.
    bad = [
        ("id_number.checksum", lambda r: r.update(id_number=r["id_number"][:17] + (
            "0" if r["id_number"][17] != "0" else "1"))),
        ("id_number.birth_date", lambda r: r.update(
            id_number=_fix(r["id_number"][:6] + "19900230" + r["id_number"][14:17]),
            birth_date="")),
        ("id_number.region", lambda r: r.update(id_number=_fix("990101" + r["id_number"][6:17]))),
        ("id_number.length", lambda r: r.update(id_number=r["id_number"][:16])),
        ("id_number.charset", lambda r: r.update(id_number=r["id_number"][:10] + "AB"
                                                 + r["id_number"][12:])),
        ("id_number.missing", lambda r: r.update(id_number="")),
        ("person.name.missing", lambda r: r.update(name="")),
        ("person.birth_date_matches_id", lambda r: r.update(birth_date="1900-01-01")),
    ]  # fmt: skip
    for offset, (rule, damage) in enumerate(bad):
        row = people[10 + offset]
        damage(row)
        manifest["people"].append({"line": str(10 + offset + 2), "rule": rule})
    _write(OUT / "people.csv", people)

    enterprises = []
    reps = [p for i, p in enumerate(people) if i >= 20]
    for i in range(24):
        rep = reps[i]
        region = rep["id_number"][:6] if rep["id_number"][:6].isdigit() else "110105"
        enterprises.append({
            "credit_code": credit_code(rng, region),
            "name": f"{rng.choice(['华兴', '永盛', '鸿达', '金泰', '瑞丰', '天成'])}"
                    f"{rng.choice(['科技', '贸易', '餐饮', '建材', '物流'])}有限公司{i}",
            "enterprise_type": "有限责任公司（自然人投资或控股）",
            "legal_rep_id_number": rep["id_number"],
            "legal_rep_name": rep["name"],
            "registered_capital": str(rng.choice([50, 100, 200, 500, 1000])),
            "established_on": f"{rng.randrange(1995, 2025)}-0{rng.randrange(1, 10)}"
                              f"-1{rng.randrange(0, 10)}",
            "address": f"{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
            "status": "存续",
        })  # fmt: skip
    bad_e = [
        ("credit_code.checksum", lambda r: r.update(credit_code=r["credit_code"][:17] + (
            "0" if r["credit_code"][17] != "0" else "1"))),
        ("credit_code.charset", lambda r: r.update(credit_code=r["credit_code"][:9] + "O"
                                                   + r["credit_code"][10:])),
        ("credit_code.org_code_checksum", lambda r: r.update(credit_code=_fix_cc(
            r["credit_code"][:16] + ("1" if r["credit_code"][16] != "1" else "2")))),
        ("credit_code.length", lambda r: r.update(credit_code=r["credit_code"][:15])),
        ("enterprise.legal_rep.id_number.checksum", lambda r: r.update(
            legal_rep_id_number=_fix(r["legal_rep_id_number"][:17], wrong=True))),
    ]  # fmt: skip
    for offset, (rule, damage) in enumerate(bad_e):
        damage(enterprises[5 + offset])
        manifest["enterprises"].append({"line": str(5 + offset + 2), "rule": rule})
    _write(OUT / "enterprises.csv", enterprises)

    licenses = []
    for i, e in enumerate(enterprises[12:24]):
        issued = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 1500))
        licenses.append({
            "license_type_code": "11100000000013127D001",
            "license_type_name": "营业执照",
            "license_number": f"{e['credit_code']}",
            "holder_name": e["name"],
            "holder_id": e["credit_code"],
            "holder_id_type": "001",
            "issuer_name": "市场监督管理局",
            "issuer_code": "11100000000013127D",
            "issue_date": f"{issued:%Y-%m-%d}",
            "valid_from": f"{issued:%Y-%m-%d}",
            "valid_until": "" if i % 3 else f"{issued.replace(year=issued.year + 20):%Y-%m-%d}",
            "jurisdiction_code": e["credit_code"][2:8],
            "status": "valid",
        })  # fmt: skip
    licenses[4]["valid_until"] = "2001-01-01"
    manifest["licenses"].append({"line": "6", "rule": "license.validity_order"})
    licenses[7]["holder_id_type"] = "999"
    manifest["licenses"].append({"line": "9", "rule": "license.holder_id_type"})
    _write(OUT / "licenses.csv", licenses)
    (OUT / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _fix(first17: str, wrong: bool = False) -> str:
    check = id_check_char(first17)
    if wrong:
        check = "10X98765432"[("10X98765432".index(check) + 1) % 11]
    return first17 + check


def _fix_cc(first17: str) -> str:
    assert set(first17) <= set(ALPHABET)
    return first17 + credit_check_char(first17)


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
