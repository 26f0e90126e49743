from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.definition import FieldMapping
from connectors.transforms import compile_mapping
from tongban.errors import RecordError


def _map(transforms, value, target="f"):
    mapper = compile_mapping(
        {target: FieldMapping.model_validate({"from": "x", "transforms": transforms})}
    )
    return mapper({"x": value})[target]


@pytest.mark.parametrize(
    ("transforms", "value", "expected"),
    [
        (["trim"], "\u3000 张三 \t", "张三"),
        (["trim"], "   ", None),
        (["fullwidth"], "１１０１０５", "110105"),
        (["clean"], " 北京市\u3000 海淀区 ", "北京市 海淀区"),
        (["upper"], "x", "X"),
        (["digits"], "138-0013-8000", "13800138000"),
        (["date"], "1990年1月1日", date(1990, 1, 1)),
        (["date"], "19900101", date(1990, 1, 1)),
        ([{"date": ["%Y/%m/%d", "%Y%m%d"]}], "1990/1/2", date(1990, 1, 2)),
        (["gender"], "女", "2"),
        (["gender"], "M", "1"),
        (["ethnicity"], "回族", "03"),
        (["decimal"], "1,000.50", Decimal("1000.50")),
        (["region"], "浙江省杭州市西湖区", "330106"),
        (["region"], "江西省南昌市西湖区", "360103"),
        (["region"], "山西省阳泉市郊区", "140311"),
        (["region"], "吉林省四平市铁西区", "220302"),
        ([{"map": {"已婚": "20"}}], "已婚", "20"),
        ([{"map": {"values": {"a": 1}, "unknown": "keep"}}], "b", "b"),
        ([{"map": {"values": {"a": 1}, "unknown": "null"}}], "b", None),
        ([{"default": "9"}], "", "9"),
        (["trim", {"default": "9"}], "  ", "9"),
    ],
)
def test_transform(transforms, value, expected):
    assert _map(transforms, value) == expected


@pytest.mark.parametrize(
    ("transforms", "value", "rule"),
    [
        (["date"], "19900230", "birth_date.format"),
        ([{"date": ["%Y%m%d"]}], "1990-01-01", "birth_date.format"),
        (["gender"], "X", "birth_date.value"),
        ([{"map": {"a": 1}}], "b", "birth_date.value"),
        (["region"], "西湖区", "birth_date.region_name"),  # two of them, no province given
        (["region"], "广东省阳泉市郊区", "birth_date.region_name"),  # 阳泉 is in 山西
        (["decimal"], "约100万", "birth_date.format"),
    ],
)
def test_a_failing_transform_names_the_target_field_and_problem(transforms, value, rule):
    with pytest.raises(RecordError) as info:
        _map(transforms, value, target="birth_date")
    assert info.value.rule == rule
    assert info.value.field == "birth_date"
    assert str(value) in info.value.message


def test_constants_and_missing_fields():
    mapper = compile_mapping(
        {
            "a": FieldMapping.model_validate({"value": "111"}),
            "b": FieldMapping.model_validate({"from": "absent"}),
        }
    )
    assert mapper({}) == {"a": "111", "b": None}
