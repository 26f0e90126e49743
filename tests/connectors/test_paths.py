"""Paths with [*] into nested records, a license's list of holders (``holders: each``), and
fan-out of child records (``children:``), synced from a real HTTP server into the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from connectors import load_definition
from connectors.definition import DefinitionError, FieldMapping
from connectors.paths import get, parse_path, select
from connectors.sync import sync_source
from connectors.transforms import compile_mapping
from sandbox._http import BackgroundServer, Handler
from tongban import SyncOptions
from tongban.errors import RecordError
from tongban.store import schema

TITLE = "111000000000135577001"  # 不动产权证书
A, B, C = "110105198001010016", "11010519491231002X", "330106199002020023"
FIRM = "91350100M000100Y43"
BAD_ID = "110105198001010017"  # check digit wrong


def _holders(*people: tuple[str, str, str]) -> dict[str, Any]:
    found = [{"QLRMC": n, "ZJZL": t, "ZJHM": i, "GYFE": "1/2"} for n, t, i in people]
    return {"QLR": found[0] if len(found) == 1 else found}  # one QLR: no list, as XML gives


RECORDS = [
    {"BDCQZH": "浙(2024)杭州市不动产权第0000001号", "BGSJ": "2024-01-01",
     "ZL": "西湖区文三路1号", "QLRLIST": _holders(("张三", "111", A), ("李四", "111", B))},
    {"BDCQZH": "浙(2024)杭州市不动产权第0000002号", "BGSJ": "2024-01-02",
     "ZL": "西湖区文三路2号", "QLRLIST": _holders(("王五", "111", C))},
    {"BDCQZH": "浙(2024)杭州市不动产权第0000003号", "BGSJ": "2024-01-03",
     "ZL": "西湖区文三路3号",
     "QLRLIST": _holders(("张三", "111", A), ("某公司", "001", FIRM), ("王五", "111", C))},
    {"BDCQZH": "浙(2024)杭州市不动产权第0000004号", "BGSJ": "2024-01-04",  # bad 2nd holder
     "ZL": "西湖区文三路4号", "QLRLIST": _holders(("孙八", "111", C), ("周九", "111", BAD_ID))},
]  # fmt: skip


def test_paths_select_every_item_and_treat_one_element_as_a_list():
    record = RECORDS[0]
    assert select(record, parse_path("QLRLIST.QLR[*].ZJHM")) == [A, B]
    assert get(record, parse_path("QLRLIST.QLR[1].QLRMC")) == "李四"
    assert get(record, parse_path("QLRLIST.QLR.0.QLRMC")) == "张三"
    one = RECORDS[1]
    assert select(one, parse_path("QLRLIST.QLR[*].ZJHM")) == [C]
    assert get(one, parse_path("QLRLIST.QLR[0].ZJHM")) == C
    assert get(one, parse_path("QLRLIST.QLR.ZJHM")) == C
    assert get(one, parse_path("QLRLIST.QLR[1].ZJHM")) is None
    assert select({"QLRLIST": None}, parse_path("QLRLIST.QLR[*].ZJHM")) == []
    for bad in ("a..b", "a[x]", "a[1]b", "a]"):
        with pytest.raises(ValueError):
            parse_path(bad)


def test_a_list_target_maps_every_item_and_mirrors_the_first():
    mapper = compile_mapping({
        "holders": FieldMapping.model_validate({
            "each": "QLRLIST.QLR[*]",
            "fields": {"name": "QLRMC", "id_type": "ZJZL", "id": {"from": "ZJHM",
                                                                  "transforms": ["trim"]}},
        }),
        "license_number": FieldMapping.model_validate({"from": "BDCQZH"}),
    })  # fmt: skip
    out = mapper(RECORDS[0])
    assert out["holders"] == [
        {"name": "张三", "id_type": "111", "id": A}, {"name": "李四", "id_type": "111", "id": B},
    ]  # fmt: skip
    assert (out["holder_name"], out["holder_id_type"], out["holder_id"]) == ("张三", "111", A)
    assert mapper({"BDCQZH": "x"})["holders"] is None
    columns, errors = mapper.columns(RECORDS[:2])
    assert not errors and columns["holder_id"] == [A, C]
    assert columns["holders"][1] == [{"name": "王五", "id_type": "111", "id": C}]
    many = compile_mapping({"holders": FieldMapping.model_validate(
        {"from": "QLRLIST.QLR[*].ZJHM", "transforms": ["trim"]})})  # fmt: skip
    assert many(RECORDS[0])["holders"] == [A, B]


def test_a_bad_item_fails_its_record_alone_and_is_kept_as_sent():
    mapper = compile_mapping({"holders": FieldMapping.model_validate({
        "each": "QLRLIST.QLR[*]",
        "fields": {"name": "QLRMC",
                   "id_type": {"from": "ZJZL", "transforms": [{"map": {"111": "1", "001": "8"}}]}},
    })})  # fmt: skip
    odd = {"QLRLIST": _holders(("赵六", "111", A), ("某单位", "999", FIRM))}
    columns, errors = mapper.columns([RECORDS[0], odd, RECORDS[1]])
    assert list(errors) == [1] and errors[1].rule == "holders.id_type.value"
    assert columns["holders"][1] == [
        {"name": "赵六", "id_type": "1"}, {"name": "某单位", "id_type": "999"},
    ]  # fmt: skip
    assert columns["holder_id_type"] == ["1", "1", "1"] and columns["holder_id"] == [None] * 3
    with pytest.raises(RecordError, match=r"holders\.id_type\.value"):
        mapper(odd)


_HEAD = """\
name: {name}
title: 不动产登记 (test)
department: 自然资源局
entity: license
record_id: BDCQZH
transport:
  kind: rest
  base_url: "{url}"
  path: /titles
  records_path: data.groups[*].items[*]
  pagination: {{kind: page, size: 2}}
"""

_MAPPING = """\
mapping:
  license_type_code: {value: "111000000000135577001"}
  license_number: BDCQZH
  holders:
    each: QLRLIST.QLR[*]
    fields:
      name: QLRMC
      id_type: ZJZL
      id: ZJHM
      share: GYFE
  fields:
    fields:
      location: ZL
children:
  - entity: person
    each: QLRLIST.QLR[*]
    where: {ZJZL: "111"}
    record_id: ZJHM
    mapping:
      id_number: ZJHM
      name: QLRMC
      address: $parent.ZL
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scalar_target_with_every_item_is_refused_at_load(tmp_path):
    head = _HEAD.format(name="bdc_bad", url="http://127.0.0.1:9")
    text = head + _MAPPING.replace("license_number: BDCQZH", "license_number: QLRLIST.QLR[*].X")
    with pytest.raises(DefinitionError) as caught:
        load_definition(_write(tmp_path, "bdc_bad", text))
    message = str(caught.value)
    assert "bdc_bad.yaml" in message and "mapping.license_number" in message
    assert "selects every item of a list" in message and "\n" not in message
    nested = head + _MAPPING.replace("location: ZL", "location: QLRLIST.QLR[*].ZL")
    with pytest.raises(DefinitionError, match=r"fields\.location.*selects every item"):
        load_definition(_write(tmp_path, "bdc_bad", nested))
    child = head + _MAPPING.replace("name: QLRMC\n      address", "name: QLR[*]\n      address")
    with pytest.raises(DefinitionError, match=r"children\.0.*name.*selects every item"):
        load_definition(_write(tmp_path, "bdc_bad", child))
    broken = head + _MAPPING.replace("each: QLRLIST.QLR[*]\n    fields", "each: Q[x]\n    fields")
    with pytest.raises(DefinitionError, match=r"holders: each:.*Q\[x\]"):
        load_definition(_write(tmp_path, "bdc_bad", broken))


class _Titles(Handler):
    """Pages of title records, grouped by district (a list of lists)."""

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        page, size = int(query["page"][0]), int(query["size"][0])
        items = self.app[(page - 1) * size : page * size]
        body = {"data": {"groups": [{"district": "西湖区", "items": items[:1]},
                                    {"district": "西湖区", "items": items[1:]}]}}  # fmt: skip
        self.send(200, json.dumps(body, ensure_ascii=False).encode(), "application/json")


@pytest.mark.parametrize("worker", [False, True])
def test_children_fan_out_to_people_and_licenses_keep_every_holder(
    store, tmp_path, worker
):  # fmt: skip
    with BackgroundServer(_Titles, RECORDS) as server:
        text = _HEAD.format(name="bdc_titles", url=server.url) + _MAPPING
        definition = load_definition(_write(tmp_path, "bdc_titles", text))
        summary = sync_source(store, definition, SyncOptions(worker=worker), env={})
        assert (summary.read, summary.inserted, summary.quarantined) == (4, 3, 1)
        assert summary.children == {
            "person": {
                "inserted": 3,
                "updated": 2,
                "unchanged": 0,
                "quarantined": 0,
                "conflicts": 0,
            }
        }
        again = sync_source(store, definition, SyncOptions(full=True), env={})
    assert again.children["person"]["inserted"] == 0 and again.inserted == 0
    key = f"{TITLE}:浙(2024)杭州市不动产权第0000003号"
    title = store.get("license", key)
    assert [h["id"] for h in title["holders"]] == [A, FIRM, C]
    assert title["holders"][1] == {"name": "某公司", "id_type": "001", "id": FIRM, "share": "1/2"}
    assert (title["holder_id"], title["holder_name"], title["fields"]) == (
        A, "张三", {"location": "西湖区文三路3号"})  # fmt: skip
    with store.engine.connect() as conn:
        from tongban.store.holders import licenses_held

        assert [k.rsplit("第", 1)[1] for k in licenses_held(conn, C)] == ["0000002号", "0000003号"]
        assert len(licenses_held(conn, A)) == 2
        rows = conn.execute(schema.license_holder.select()).all()
    assert len(rows) == 2 + 1 + 3  # the quarantined license has none
    person = store.get("person", A)
    assert (person["name"], person["address"]) == ("张三", "西湖区文三路3号")  # the later title
    origin = person["provenance"]["address"]
    assert origin["source"] == "bdc_titles"
    assert origin["record"] == f"浙(2024)杭州市不动产权第0000003号/{A}"
    # a quarantined parent emits no children
    [bad] = store.quarantined(source="bdc_titles")
    assert bad["entity"] == "license" and bad["rule"] == "license.holders.id_number.checksum"
    assert bad["source_record"] == "浙(2024)杭州市不动产权第0000004号"
    assert store.get("person", BAD_ID) is None
    assert store.runs(source="bdc_titles", limit=1)[0]["read"] == 4  # parents only
    suites = {r["suite"] for r in store.validation_results(source="bdc_titles")}
    assert suites == {"license", "person"}  # the children pass their own entity's gate
