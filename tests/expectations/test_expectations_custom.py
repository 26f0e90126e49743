"""Each custom expectation flags what breaks its rule, passes clean values, and explains."""

from __future__ import annotations

from typing import Any

import great_expectations as gx
import pandas as pd
import pytest
from quality_records import break_checksum, credit_code

from expectations._gx import validate
from expectations.custom import (
    ExpectColumnPairDatesToBeInOrder,
    ExpectColumnPairValuesToMatchIdNumberBirthDate,
    ExpectColumnPairValuesToMatchIdNumberGender,
    ExpectColumnValuesToBeInLicenseCatalog,
    ExpectColumnValuesToBeInStore,
    ExpectColumnValuesToBeKnownRegionCode,
    ExpectColumnValuesToBeUniqueIdentifiers,
    ExpectColumnValuesToBeValidCreditCode,
    ExpectColumnValuesToBeValidDate,
    ExpectColumnValuesToBeValidDecimal,
    ExpectColumnValuesToBeValidIdNumber,
    batch_scope,
)
from expectations.custom._base import Explains
from tongban.identifiers import id_check_char

GOOD_ID = "11010519491231002X"  # a woman born 1949-12-31 in 北京市朝阳区


def _make(first17: str) -> str:
    return first17 + id_check_char(first17)


MAN_1990 = _make("11010519900101123")  # digit 17 odd: a man


def flagged(expectation: Explains, columns: dict[str, list[Any]], **keys: Any) -> list[int]:
    """Row indices GX reports as unexpected for this one expectation."""
    frame = pd.DataFrame(columns, dtype=object)
    suite = gx.ExpectationSuite(name="one", expectations=[expectation])  # type: ignore[list-item]
    with batch_scope(keys):
        result = validate("custom_tests", frame, suite).results[0]
    assert not result.exception_info.get("raised_exception"), result.exception_info
    return sorted(result.result["unexpected_index_list"])


def rules(expectation: Explains, records: list[dict[str, Any]], rows: list[int], **keys: Any):
    with batch_scope(keys):
        return [getattr(expectation.explain(records[i]), "rule", None) for i in rows]


def test_valid_id_number_accepts_every_spelling_normalization_accepts() -> None:
    full_width = "１１０１０５１９４９１２３１００２Ｘ"
    values = [GOOD_ID, GOOD_ID.lower(), "110105491231002", f" {GOOD_ID} ", full_width, None]
    expectation = ExpectColumnValuesToBeValidIdNumber(column="id_number")
    assert flagged(expectation, {"id_number": values}) == []


def test_valid_id_number_flags_each_broken_number_with_its_rule() -> None:
    values = [GOOD_ID, break_checksum(GOOD_ID), "1101051949", _make("99010519491231002"),
              _make("11010530001231002"), "11010519491231002*", MAN_1990]  # fmt: skip
    expectation = ExpectColumnValuesToBeValidIdNumber(column="id_number")
    rows = flagged(expectation, {"id_number": values})
    assert rows == [1, 2, 3, 4, 5]
    records = [{"id_number": v} for v in values]
    assert rules(expectation, records, rows) == [
        "id_number.checksum", "id_number.length", "id_number.region", "id_number.birth_date",
        "id_number.charset",
    ]  # fmt: skip
    error = expectation.explain(records[1])
    assert error is not None and break_checksum(GOOD_ID) in error.message


def test_province_region_check_accepts_unlisted_county() -> None:
    unlisted = _make("11019919800101123")
    strict = ExpectColumnValuesToBeValidIdNumber(column="id_number")
    loose = ExpectColumnValuesToBeValidIdNumber(column="id_number", region_check="province")
    assert flagged(strict, {"id_number": [unlisted]}) == [0]
    assert flagged(loose, {"id_number": [unlisted]}) == []


def test_valid_credit_code(rng) -> None:
    good = [credit_code(rng) for _ in range(5)]
    bad_check = good[0][:17] + ("0" if good[0][17] != "0" else "1")
    values = [*good, bad_check, "91350100M000100YI3", "9135", "91350100M000100Y43"]
    expectation = ExpectColumnValuesToBeValidCreditCode(column="credit_code")
    rows = flagged(expectation, {"credit_code": values})
    assert rows == [5, 6, 7]
    records = [{"credit_code": v} for v in values]
    assert rules(expectation, records, rows) == [
        "credit_code.checksum",
        "credit_code.charset",
        "credit_code.length",
    ]


def test_known_region_code_uses_the_whole_history() -> None:
    values = ["110105", "110103", " 110101 ", "999999", "11010"]  # 110103: 崇文区, merged 2010
    expectation = ExpectColumnValuesToBeKnownRegionCode(column="region_code")
    rows = flagged(expectation, {"region_code": [v.strip() for v in values]})
    assert rows == [3, 4]
    assert rules(expectation, [{"region_code": v} for v in values], rows) == [
        "region_code.unknown_region",
        "region_code.unknown_region",
    ]


def test_unique_identifiers_compares_normalized_numbers() -> None:
    values = [GOOD_ID, "110105491231002", MAN_1990, f" {MAN_1990.lower()}", "not a number",
              "not a number"]  # fmt: skip
    expectation = ExpectColumnValuesToBeUniqueIdentifiers(
        column="id_number", identifier="id_number"
    )
    rows = flagged(expectation, {"id_number": values})
    assert rows == [0, 1, 2, 3]  # invalid numbers are left to the validity expectation
    error = expectation.explain({"id_number": values[1]})
    assert error is not None and error.rule == "id_number.duplicate" and GOOD_ID in error.message


def test_in_store_with_a_set_and_with_a_look_up(rng) -> None:
    held, missing = credit_code(rng), credit_code(rng)
    values = [held, held.lower(), missing, "garbage", None]
    expectation = ExpectColumnValuesToBeInStore(column="holder_id", key_set="enterprise")
    assert flagged(expectation, {"holder_id": values}, enterprise={held}) == [2]

    asked: list[set[str]] = []

    def look_up(candidates):
        asked.append(set(candidates))
        return {c for c in candidates if c == held}

    assert flagged(expectation, {"holder_id": values}, enterprise=look_up) == [2]
    assert asked == [{held, missing}]  # one call with the distinct valid codes only
    with batch_scope({"enterprise": {held}}):
        error = expectation.explain({"holder_id": missing})
    assert error is not None and error.rule == "holder_id.not_in_store" and missing in error.message


def test_in_store_without_keys_is_an_error_not_a_verdict(rng) -> None:
    expectation = ExpectColumnValuesToBeInStore(column="holder_id", key_set="enterprise")
    frame = pd.DataFrame({"holder_id": [credit_code(rng)]}, dtype=object)
    suite = gx.ExpectationSuite(name="one", expectations=[expectation])
    with batch_scope():
        result = validate("custom_tests", frame, suite).results[0]
    assert "known_keys" in str(result.exception_info)


def test_license_catalog() -> None:
    expectation = ExpectColumnValuesToBeInLicenseCatalog(
        column="license_type_code", value_set=["A001", "B002"]
    )
    assert flagged(expectation, {"license_type_code": ["A001", "B002", "C003", None]}) == [2]
    error = expectation.explain({"license_type_code": "C003"})
    assert error is not None and "C003" in error.message


def test_valid_date_and_decimal() -> None:
    dates = ["1990-01-01", "19900101", "1990年1月1日", "1990-02-30", "yesterday", None]
    date_expectation = ExpectColumnValuesToBeValidDate(column="established_on")
    assert flagged(date_expectation, {"established_on": dates}) == [3, 4]
    assert rules(date_expectation, [{"established_on": d} for d in dates], [3, 4]) == [
        "established_on.format",
        "established_on.format",
    ]
    amounts = ["100", "1,000.50", "abc", None]
    decimal_expectation = ExpectColumnValuesToBeValidDecimal(column="registered_capital")
    assert flagged(decimal_expectation, {"registered_capital": amounts}) == [2]


def test_birth_date_must_match_the_id_number() -> None:
    ids = [GOOD_ID, GOOD_ID, "110105491231002", MAN_1990, break_checksum(MAN_1990), GOOD_ID]
    births = ["1949-12-31", "1949年12月31日", "19491231", "1990-01-02", "1980-01-01", "bad"]
    expectation = ExpectColumnPairValuesToMatchIdNumberBirthDate(
        column_A="id_number", column_B="birth_date"
    )
    # An invalid ID number (row 4) or an unreadable date (row 5) is another expectation's.
    assert flagged(expectation, {"id_number": ids, "birth_date": births}) == [3]
    error = expectation.explain({"id_number": MAN_1990, "birth_date": "1990-01-02"})
    assert error is not None and error.rule == "person.birth_date_matches_id"
    assert "1990-01-02" in error.message and MAN_1990 in error.message


def test_gender_must_match_the_id_number() -> None:
    ids = [GOOD_ID, GOOD_ID, MAN_1990, MAN_1990, GOOD_ID, GOOD_ID]
    genders = ["2", "女", "男", "2", "1", "9"]
    expectation = ExpectColumnPairValuesToMatchIdNumberGender(
        column_A="id_number", column_B="gender"
    )
    assert flagged(expectation, {"id_number": ids, "gender": genders}) == [3, 4]
    error = expectation.explain({"id_number": MAN_1990, "gender": "女"})
    assert error is not None and error.rule == "person.gender_matches_id"


def test_dates_in_order() -> None:
    starts = ["2020-01-01", "2020-01-01", "2021-06-01", None, "2020-01-01"]
    ends = ["2030-01-01", "2020-01-01", "2021-05-31", "2020-01-01", "nonsense"]
    expectation = ExpectColumnPairDatesToBeInOrder(
        column_A="valid_from", column_B="valid_until", meta={"rule": "license.validity_order"}
    )
    assert flagged(expectation, {"valid_from": starts, "valid_until": ends}) == [2]
    error = expectation.explain({"valid_from": starts[2], "valid_until": ends[2]})
    assert error is not None and error.rule == "license.validity_order"


@pytest.mark.parametrize(
    "expectation",
    [ExpectColumnValuesToBeValidIdNumber(column="c"), ExpectColumnValuesToBeValidDate(column="c")],
)
def test_data_docs_sentence_names_the_rule(expectation: Explains) -> None:
    rendered = expectation._prescriptive_renderer(configuration=expectation.configuration)  # type: ignore[attr-defined]
    template = rendered[0].string_template["template"]
    assert "$column" in template and "must" in template


def test_our_metrics_read_nulls_and_count_them_as_passing_as_gx_would() -> None:
    """Our column metrics take the whole column (no null filtering by GX): a null, None or
    NaN, still passes, the unexpected rows keep their own index, and the unexpected share
    is counted over the non-null values, as GX counts it for its own metrics."""
    nan = float("nan")
    cases: list[tuple[Explains, list[Any], list[int]]] = [
        (ExpectColumnValuesToBeValidIdNumber(column="v"), [None, "1101051949", nan, GOOD_ID], [1]),
        (ExpectColumnValuesToBeValidCreditCode(column="v"), [nan, None, "9135", None], [2]),
        (ExpectColumnValuesToBeKnownRegionCode(column="v"), ["999999", None, "110105", nan], [0]),
        (ExpectColumnValuesToBeValidDate(column="v"), [None, "1990-02-30", nan, "19900101"], [1]),
        (ExpectColumnValuesToBeValidDecimal(column="v"), [None, nan, "abc", "1,000"], [2]),
        (ExpectColumnValuesToBeInLicenseCatalog(column="v", value_set=["A001"]),
         [None, "C003", nan, "A001"], [1]),
        (ExpectColumnValuesToBeUniqueIdentifiers(column="v", identifier="id_number"),
         [GOOD_ID, None, GOOD_ID.lower(), None, nan], [0, 2]),
    ]  # fmt: skip
    for expectation, values, bad in cases:
        frame = pd.DataFrame({"v": values}, dtype=object)
        suite = gx.ExpectationSuite(name="one", expectations=[expectation])  # type: ignore[list-item]
        with batch_scope():
            outcome = validate("custom_tests", frame, suite).results[0]
        assert not outcome.exception_info.get("raised_exception"), outcome.exception_info
        result = outcome.result
        assert sorted(result["unexpected_index_list"]) == bad, expectation
        nonnull = sum(v is not None and v == v for v in values)
        assert result["missing_count"] == len(values) - nonnull
        assert result["unexpected_count"] == len(bad)
        assert result["unexpected_percent"] == pytest.approx(100 * len(bad) / nonnull)


def test_a_row_condition_and_nulls_together() -> None:
    """With a row condition GX first keeps the rows it names; nulls among them pass and
    the flagged rows keep their index in the whole frame."""
    from great_expectations.expectations.row_conditions import Column

    expectation = ExpectColumnValuesToBeValidCreditCode(
        column="holder_id", row_condition=Column("holder_id_type") == "001"
    )
    frame = {
        "holder_id_type": ["111", "001", "001", "001", "111"],
        "holder_id": ["not a code", None, "9135", "91350100M000100Y43", "also not"],
    }
    assert flagged(expectation, frame) == [2]
