"""The batch gate: record failures for quarantine, batch failures that stop the load."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from quality_records import (
    break_checksum,
    credit_code,
    enterprise,
    id_number,
    license_record,
    people,
    person,
)

from expectations import Thresholds, validate_batch
from tongban.entities import entity
from tongban.errors import FatalError, RecordError


def _normalization_failures(name: str, records: list[dict[str, Any]]) -> dict[int, str]:
    found = {}
    for i, record in enumerate(records):
        try:
            entity(name).normalize(record)
        except RecordError as exc:
            found[i] = exc.rule
    return found


def test_clean_people_pass_the_gate() -> None:
    records = people(500)
    verdict = validate_batch("person", records, source="gongan_population")
    assert verdict.record_failures == {}
    assert verdict.gate_passed and verdict.reason is None
    stats = verdict.statistics
    assert (stats.suite, stats.evaluated, stats.passed, stats.failed) == ("person", 500, 500, 0)
    assert stats.success_ratio == 1.0 and stats.expectations_failed == 0


def _dirty_people(rng: random.Random) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Clean people with one kind of dirt each at known rows, and the rule expected there."""
    records = [person(rng) for _ in range(60)]
    expected: dict[int, str] = {}

    def dirty(i: int, rule: str, **changes: Any) -> None:
        records[i].update(changes)
        expected[i] = rule

    number = records[3]["id_number"].strip().upper()
    dirty(3, "id_number.checksum", id_number=break_checksum(number))
    dirty(7, "id_number.length", id_number="11010519491231")
    dirty(11, "person.name.missing", name="  ")
    dirty(15, "gender.value", gender="X")
    dirty(19, "ethnicity.value", ethnicity="77")
    dirty(23, "birth_date.format", birth_date="1990-13-45")
    dirty(
        27,
        "person.gender_matches_id",
        gender="2" if int(records[27]["id_number"].strip()[16]) % 2 else "1",
    )
    other_day = "2001-01-01" if "2001" not in str(records[31]["birth_date"]) else "2002-01-01"
    dirty(31, "person.birth_date_matches_id", birth_date=other_day)
    dirty(35, "marital_status.value", marital_status="99")
    dirty(39, "id_number.missing", id_number="")
    return records, expected


def test_each_record_normalization_refuses_is_quarantined_under_a_named_expectation(
    rng: random.Random,
) -> None:
    records, expected = _dirty_people(rng)
    verdict = validate_batch("person", records, thresholds=Thresholds(min_success_ratio=0.5))
    assert set(verdict.record_failures) == set(expected)
    for index, rule in expected.items():
        failures = verdict.record_failures[index]
        assert rule in [f.rule for f in failures], (index, failures)
        assert all(f.expectation.startswith("expect_") for f in failures)
    # Everything normalization refuses is caught here, and nothing it accepts besides
    # the values it would store although a standard forbids them (ethnicity, marital).
    refused = _normalization_failures("person", records)
    assert set(refused) <= set(verdict.record_failures)
    assert set(verdict.record_failures) - set(refused) == {19, 35}
    checksum = next(f for f in verdict.record_failures[3] if f.rule == "id_number.checksum")
    assert checksum.expectation == "expect_column_values_to_be_valid_id_number"
    assert checksum.field == "id_number" and checksum.value in checksum.message
    assert verdict.gate_passed  # 10 of 60 records: within what this source tolerates


def test_a_source_with_40_percent_empty_names_is_stopped_at_the_gate() -> None:
    records = people(1000, seed=11)
    for record in records[::5] + records[1::5]:
        record["name"] = ""
    verdict = validate_batch("person", records, source="gongan_population")
    assert not verdict.gate_passed
    names = {f.expectation for f in verdict.batch_failures}
    assert "expect_column_proportion_of_non_null_values_to_be_between" in names
    null_share = next(f for f in verdict.batch_failures if f.rule == "name.null_share")
    assert null_share.field == "name" and null_share.value == pytest.approx(0.4)
    assert verdict.reason is not None
    assert "expect_column_proportion_of_non_null_values_to_be_between" in verdict.reason
    assert "40.0% of name values are empty" in verdict.reason
    assert len(verdict.record_failures) == 400  # kept for review with the batch


def test_thresholds_are_per_source() -> None:
    records = people(200, seed=12)
    for record in records[:20]:
        record["name"] = None  # 10% empty: above the default 5%
    assert not validate_batch("person", records).gate_passed
    lenient = Thresholds.from_mapping({"min_success_ratio": 0.85, "max_null_share": {"name": 0.2}})
    verdict = validate_batch("person", records, thresholds=lenient)
    assert verdict.gate_passed, verdict.reason
    assert len(verdict.record_failures) == 20
    strict = Thresholds(min_success_ratio=0.95, max_null_share={"name": 0.2})
    verdict = validate_batch("person", records, thresholds=strict)
    assert [f.rule for f in verdict.batch_failures][-1] == "person.success_ratio"


def test_thresholds_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="unknown quality settings"):
        Thresholds.from_mapping({"min_sucess_ratio": 0.9})
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        Thresholds(min_success_ratio=80)


def test_natural_keys_are_checked_for_uniqueness_within_a_batch(rng: random.Random) -> None:
    records = [enterprise(rng) for _ in range(10)]
    records[7]["credit_code"] = records[2]["credit_code"].lower()
    verdict = validate_batch("enterprise", records, thresholds=Thresholds(0.95))
    # Reported, not quarantined: a change feed may carry a record twice; the later wins.
    assert verdict.gate_passed and not verdict.record_failures
    [outcome] = [
        r
        for r in verdict.gx_result["results"]
        if r["expectation_config"]["meta"].get("rule") == "credit_code.duplicate"
    ]
    assert not outcome["success"]


def test_enterprise_rules_match_normalization(rng: random.Random) -> None:
    records = [enterprise(rng) for _ in range(10)]
    records[1]["legal_rep_id_number"] = break_checksum(records[1]["legal_rep_id_number"])
    records[4]["registered_capital"] = "一百万"
    records[6]["region_code"] = "999999"
    verdict = validate_batch("enterprise", records, thresholds=Thresholds(0.5))
    assert {i: [f.rule for f in fs] for i, fs in verdict.record_failures.items()} == {
        1: ["enterprise.legal_rep.id_number.checksum"],
        4: ["registered_capital.format"],
        6: ["region_code.unknown_region"],
    }
    refused = _normalization_failures("enterprise", records)
    assert refused == {1: "enterprise.legal_rep.id_number.checksum", 4: "registered_capital.format"}


def test_licenses_holder_in_store_catalog_and_validity(rng: random.Random) -> None:
    held = [credit_code(rng) for _ in range(5)]
    records = [license_record(rng, held[i % 5]) for i in range(10)]
    records[1]["holder_id"] = credit_code(rng)  # valid, but not in the store
    records[2]["valid_until"] = "2000-01-01"
    records[3]["license_type_code"] = "NOT-IN-CATALOG"
    records[4].update(holder_id_type="111", holder_id=id_number(rng)[0])
    records[5].update(holder_id_type="111", holder_id=break_checksum(id_number(rng)[0]))
    records[6]["license_number"] = records[0]["license_number"]
    records[8]["fields"] = "capital=100"
    catalog = {"11100000MB0143118A"}
    verdict = validate_batch(
        "license", records, thresholds=Thresholds(0.3), known_keys=set(held), license_types=catalog
    )
    rules = {i: sorted(f.rule for f in fs) for i, fs in verdict.record_failures.items()}
    assert rules == {
        1: ["holder_id.not_in_store"],
        2: ["license.validity_order"],
        3: ["license_type_code.not_in_catalog"],
        5: ["id_number.checksum"],
        8: ["license.fields"],
    }


def test_an_unknown_field_stops_the_batch() -> None:
    records = people(20, seed=3)
    records[4]["shoe_size"] = 42
    verdict = validate_batch("person", records)
    assert not verdict.gate_passed
    failure = verdict.batch_failures[0]
    assert failure.rule == "person.unknown_field" and "shoe_size" in failure.message


def test_a_failing_key_look_up_stops_the_run(rng: random.Random) -> None:
    def store_down(candidates: object) -> set[str]:
        raise ConnectionError("store unreachable")

    records = [license_record(rng, credit_code(rng))]
    with pytest.raises(FatalError, match=r"expect_column_values_to_be_in_store.*store unreachable"):
        validate_batch("license", records, known_keys=store_down)


def test_stored_result_is_json_and_small() -> None:
    records = people(3000, seed=5)
    for record in records[:1000]:
        record["id_number"] = break_checksum(record["id_number"].strip().upper())
    verdict = validate_batch("person", records, source="s1", run_id="run-1")
    stored = json.loads(json.dumps(verdict.as_record()))
    assert stored["run_id"] == "run-1" and stored["suite"] == "person"
    assert stored["statistics"]["failed"] == 1000 and stored["gate_passed"] is False
    assert stored["gx_result"]["meta"]["run_id"]["run_name"] == "run-1"
    assert len(json.dumps(stored)) < 100_000  # partial lists only, however dirty the batch
    assert len(verdict.record_failures) == 1000


def test_empty_batch_passes() -> None:
    verdict = validate_batch("enterprise", [])
    assert verdict.gate_passed and verdict.statistics.evaluated == 0


def test_unknown_entity() -> None:
    with pytest.raises(ValueError, match="no suite for entity"):
        validate_batch("case", [{"x": 1}])
