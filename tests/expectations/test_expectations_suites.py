"""The suites in code: stable names, a rule and a level on every expectation."""

from __future__ import annotations

import pytest

import expectations
from expectations import ENTITY_NAMES, Thresholds, build_suite


def test_public_surface() -> None:
    assert sorted(expectations.__all__) == [
        "BatchVerdict", "ENTITY_NAMES", "Failure", "KnownKeys", "SuiteStatistics",
        "Thresholds", "build_data_docs", "build_suite", "validate_batch",
    ]  # fmt: skip


@pytest.mark.parametrize("name", ENTITY_NAMES)
def test_every_expectation_names_its_rule_and_level(name: str) -> None:
    suite = build_suite(name, Thresholds(min_success_ratio=0.9), license_types={"A"},
                        store_check=True)  # fmt: skip
    assert suite.name == name
    for expectation in suite.expectations:
        meta = expectation.meta or {}
        assert meta.get("rule"), expectation
        assert meta.get("level") in ("record", "batch", "report")
        if meta["level"] == "record":
            assert expectation.mostly == 0.9  # type: ignore[attr-defined]


def test_suites_are_built_once_per_combination() -> None:
    assert build_suite("person") is build_suite("person", Thresholds())
    assert build_suite("person") is not build_suite("person", Thresholds(0.5))


def test_license_suite_checks_only_what_it_was_given() -> None:
    def types(suite: object) -> set[str]:
        return {e.expectation_type for e in suite.expectations}  # type: ignore[attr-defined]

    bare = types(build_suite("license"))
    full = types(build_suite("license", license_types={"A"}, store_check=True))
    assert full - bare == {
        "expect_column_values_to_be_in_license_catalog",
        "expect_column_values_to_be_in_store",
    }


def test_null_share_limits_merge_over_the_defaults() -> None:
    suite = build_suite("person", Thresholds(max_null_share={"address": 0.5}))
    limits = {
        e.column: e.min_value  # type: ignore[attr-defined]
        for e in suite.expectations
        if e.expectation_type == "expect_column_proportion_of_non_null_values_to_be_between"
    }
    assert limits == {"address": 0.5, "name": 0.95}
