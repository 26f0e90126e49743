from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from sandbox import KINDS, DirtRates, Manifest, ManifestEntry, Sandbox, World
from sandbox.construction import SOURCE as ZJJ
from sandbox.construction import qualified_enterprise, registry_size
from sandbox.sources import enterprise_item, license_item, population_person
from sandbox.titles import title_count, title_record
from tongban.identifiers import credit_check_char, id_check_char, is_known_region


def _rows(sb: Sandbox) -> dict[tuple[str, str], dict[str, str]]:
    """Every raw record of every source, by (source, record id)."""
    w, rates = sb.world, sb.config.dirt
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for i in range(w.people):
        raw, _ = population_person(w, rates, i)
        rows["gongan_population", raw["recordId"]] = raw
    for i in range(w.enterprises):
        item, _ = enterprise_item(w, rates, i)
        rows["scjg_enterprise", item["id"]] = item
        lic, _ = license_item(w, rates, i)
        rows["scjg_license", str(lic["id"])] = {k: v or "" for k, v in lic.items()}
    from sqlalchemy import create_engine, text

    engine = create_engine(sb.frontdb_url)
    with engine.connect() as conn:
        for row in conn.execute(text("SELECT * FROM mz_hydj")).mappings():
            rows["minzheng_marriage", str(row["id"])] = {k: str(v) for k, v in row.items()}
    engine.dispose()
    for i in range(title_count(w)):
        title, _ = title_record(w, rates, i)
        rows["zrzy_realestate", title["YWH"]] = title
    for path in sorted(sb.drop_dir.glob("shebao_*.csv")):
        lines = path.read_bytes().decode("gbk").split("\r\n")
        header = lines[0].split(",")
        for number, line in enumerate(lines[1:], start=2):
            if line:
                rows["renshe_insurance", f"{path.name}:{number}"] = dict(
                    zip(header, line.split(","), strict=True)
                )
    for i in range(registry_size(w, rates)):
        item, _ = qualified_enterprise(w, rates, i)
        rows[ZJJ, item["id"]] = item
    return rows


def _children(sb: Sandbox) -> dict[tuple[str, str], dict[str, str]]:
    """The nested records of the 住建 registry, by their child record id."""
    found = {}
    for i in range(registry_size(sb.world, sb.config.dirt)):
        item, _ = qualified_enterprise(sb.world, sb.config.dirt, i)
        for q in item["qualifications"]:
            found[ZJJ, f"{item['id']}/{q['cert_no']}"] = q
        for p in item["registered_staff"]:
            found[ZJJ, f"{item['id']}/{p['reg_no']}"] = p
    return found


def title_dirt_shows(entry: ManifestEntry, title: dict) -> bool:
    """A registry title shows the dirt its manifest entry names."""
    holders = (title.get("QLRLIST") or {}).get("QLR") or []
    if entry.dirt == "holders_missing":
        return "QLRLIST" not in title and entry.expect == "quarantined"
    if entry.dirt == "issuer_bad_check":
        code = title["DJJGDM"]
        return credit_check_char(code[:17]) != code[17]
    second = holders[1]
    if entry.dirt == "holder_bad_id":
        return id_check_char(second["ZJHM"][:17]) != second["ZJHM"][17]
    assert entry.dirt == "holder_name_missing"
    return second["QLRMC"] == "" and entry.record == f"{title['YWH']}/{second['ZJHM']}"


def _check_dirt(kind: str, value: str, key: str | None) -> None:
    """The raw value shows the dirt its kind describes (independently of tongban rules)."""
    folded = unicodedata.normalize("NFKC", value).replace(" ", "").replace("\t", "").upper()
    if kind == "id_15":
        assert len(value) == 15 and key is not None and value == key[:6] + key[8:17]
    elif kind == "id_lower_x":
        assert value.endswith("x") and value.upper() == key
    elif kind == "id_fullwidth":
        assert any("０" <= c <= "９" for c in value) and folded == key
    elif kind == "id_spaces":
        assert value != value.strip() or " " in value or "\u3000" in value
        assert folded == key
    elif kind == "id_bad_check":
        assert len(value) == 18 and id_check_char(value[:17]) != value[17]
    elif kind == "id_unknown_region":
        assert id_check_char(value[:17]) == value[17] and not is_known_region(value[:6])
    elif kind == "id_impossible_date":
        assert id_check_char(value[:17]) == value[17]
        month, day = int(value[10:12]), int(value[12:14])
        assert day > (29 if month == 2 else 30)
    elif kind == "date_format":
        assert value[4] != "-" or (value.count("-") == 2 and len(value) < 10)
    elif kind == "date_impossible":
        month, day = int(value[5:7]), int(value[8:10])
        assert day > (29 if month == 2 else 30)
    elif kind == "gender_variant":
        assert value in {"男", "女", "M", "F", "1", "2"}
    elif kind == "name_missing":
        assert value.strip() == ""
    elif kind == "credit_bad_check":
        assert len(value) == 18
    elif kind == "legal_rep_bad_id":
        assert id_check_char(value[:17]) != value[17]


def test_every_manifest_entry_is_really_in_the_raw_record(sandbox: Sandbox) -> None:
    rows = _rows(sandbox)
    children = _children(sandbox)
    manifest = sandbox.manifest
    assert manifest.entries
    quarantined = {(e.source, e.record) for e in manifest.by_expect("quarantined")}
    for entry in manifest:
        if entry.source == "zrzy_realestate":  # its own kinds (sandbox.titles)
            title = rows[entry.source, entry.record.split("/")[0]]
            assert title_dirt_shows(entry, title), entry
            continue
        raw = rows.get((entry.source, entry.record)) or children[entry.source, entry.record]
        if entry.dirt == "holder_quarantined":  # a consequence, not injected dirt
            holder = "SCJG" + entry.record.removeprefix("YYZZ")
            assert ("scjg_enterprise", holder) in quarantined
            assert entry.rule == "holder_id.not_in_store"
            continue
        clean = entry.key
        if entry.field == "lerep_cerno":  # the key is the credit code; the ID is the rep's
            clean = sandbox.world.enterprise(int(entry.record[4:])).legal_rep_id_number
        _check_dirt(entry.dirt, raw[entry.field], clean)
        assert entry.expect == KINDS[entry.dirt].expect
        assert (entry.rule is not None) == (entry.expect == "quarantined")
        assert (entry.key is not None) == (entry.expect != "quarantined")
    assert {e.dirt for e in manifest} >= {"id_15", "id_bad_check", "conflict", "name_missing"}
    assert len(rows) == sum(manifest.records.values())


def test_conflicts_differ_from_the_registry_and_other_duplicates_agree(sandbox: Sandbox) -> None:
    w, manifest = sandbox.world, sandbox.manifest
    registry = {p.id_number: p for p in (w.person(i) for i in range(w.people))}
    conflicts = manifest.by_expect("conflict")
    assert {e.source for e in conflicts} == {"minzheng_marriage", "renshe_insurance"}
    rows = _rows(sandbox)
    for source, name_field, phone_field in (
        ("minzheng_marriage", "xm", None),
        ("renshe_insurance", "姓名", "联系电话"),
    ):
        for (src, record), raw in rows.items():
            if src != source:
                continue
            entry = manifest.entry(source, record)
            person = registry.get(raw["sfzh" if source == "minzheng_marriage" else "公民身份号码"])
            if person is None:
                continue  # ID dirt: checked by the test above
            if entry is not None and entry.dirt == "conflict":
                assert (raw[name_field], raw.get(phone_field or "", person.phone)) != (
                    person.name, person.phone,
                )  # fmt: skip
            elif entry is None or entry.dirt != "name_missing":
                assert raw[name_field] == person.name
                if phone_field:
                    assert raw[phone_field] == person.phone


def test_manifest_file_round_trips_and_counts(sandbox: Sandbox) -> None:
    path = sandbox.directory / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["seed"] == sandbox.config.seed
    loaded = Manifest.load(path)
    assert loaded.entries == sandbox.manifest.entries
    for source, info in data["sources"].items():
        assert info["invalid"] == loaded.invalid_count(source)
        assert info["invalid"] == sum(
            1 for e in data["entries"] if e["source"] == source and e["expect"] == "quarantined"
        )
    assert loaded.invalid_count() == sum(v["invalid"] for v in data["sources"].values())
    assert set(loaded.records) == {
        "gongan_population", "scjg_enterprise", "scjg_license", "minzheng_marriage",
        "renshe_insurance", "zjj_qualification", "zrzy_realestate",
    }  # fmt: skip
    dirty = len({(e.source, e.record) for e in loaded}) / sum(loaded.records.values())
    assert 0.05 < dirty < 0.2
    gongan = loaded.by_source("gongan_population")
    assert 0.08 < len(gongan) / loaded.records["gongan_population"] < 0.18


def test_manifest_loader_rejects_other_json(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"entries": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a sandbox manifest"):
        Manifest.load(path)


def test_dirt_rates() -> None:
    assert DirtRates.none().total() == 0
    assert DirtRates.only("id_15", 0.5).total() == 0.5
    with pytest.raises(ValueError, match="between 0 and 1"):
        DirtRates(id_15=1.5)
    with pytest.raises(ValueError, match="unknown dirt kind"):
        DirtRates.only("typo")
    w = World(people=200, enterprises=50)
    clean = DirtRates.none()
    assert all(population_person(w, clean, i)[1] is None for i in range(w.people))
    assert all(enterprise_item(w, clean, i)[1] is None for i in range(w.enterprises))
    only = DirtRates.only("id_bad_check", 1.0)
    entries = [population_person(w, only, i)[1] for i in range(w.people)]
    assert all(e is not None and e.rule == "id_number.checksum" for e in entries)
