"""The expectation suites, in code: one per entity (person, enterprise, license).

Every expectation carries ``meta``: ``rule`` (the quarantine rule, or the rule family
when our own validator names it), ``level`` (``record``: the failing records are
quarantined; ``batch``: the whole batch is held back) and ``field``.

Record-level expectations carry ``mostly`` = the source's minimum success ratio, so GX
marks one red only when it fails more records than the source tolerates; the records it
flags are quarantined either way.

    >>> suite = build_suite("person", Thresholds(min_success_ratio=0.9))
    >>> suite.name
    'person'
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column

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
    ExpectColumnValuesToBeValidHolders,
    ExpectColumnValuesToBeValidIdNumber,
)
from tongban.entities import HOLDER_CITIZEN, HOLDER_ENTERPRISE
from tongban.entities import entity as entity_spec
from tongban.identifiers import DEFAULT_REGION_CHECK, RegionCheck

__all__ = [
    "ENTITY_NAMES",
    "ETHNICITY_CODES",
    "GENDER_CODES",
    "HOLDER_ID_TYPES",
    "MARITAL_STATUS_CODES",
    "Thresholds",
    "build_suite",
    "model_columns",
]

ENTITY_NAMES = ("person", "enterprise", "license")

GENDER_CODES = ("0", "1", "2", "9")  # GB/T 2261.1: 未知, 男, 女, 未说明
# GB 3304: 01 汉族 ... 56 基诺族; 97 其他未识别民族; 98 外国血统中国籍人士.
ETHNICITY_CODES = (*(f"{n:02d}" for n in range(1, 57)), "97", "98")
# GB/T 2261.2: 未婚, 已婚, 初婚, 再婚, 复婚, 丧偶, 离婚, 未说明.
MARITAL_STATUS_CODES = ("10", "20", "21", "22", "23", "30", "40", "90")
HOLDER_ID_TYPES = (HOLDER_CITIZEN, HOLDER_ENTERPRISE)  # GB/T 36901: 111 身份证, 001 信用代码

# The column whose emptiness shows a broken source, and how much of it is usual.
DEFAULT_MAX_NULL_SHARE: dict[str, dict[str, float]] = {
    "person": {"name": 0.05},
    "enterprise": {"name": 0.05},
    "license": {"holder_name": 0.05},
}


@dataclass(frozen=True)
class Thresholds:
    """Per-source limits of the batch gate (in the source's YAML under ``quality:``).

    ``min_success_ratio``: share of records that must pass every record-level
    expectation; ``max_null_share``: per column, the largest share of empty values
    (merged over the entity's defaults, e.g. ``{"name": 0.05}``).
    """

    min_success_ratio: float = 0.8
    max_null_share: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_success_ratio <= 1.0:
            raise ValueError(f"min_success_ratio must be within 0..1, not {self.min_success_ratio}")
        for column, share in self.max_null_share.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"max_null_share of {column!r} must be within 0..1, not {share}")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> Thresholds:
        """Read the ``quality:`` section of a source definition; unknown keys are errors."""
        raw = dict(raw or {})
        unknown = set(raw) - {"min_success_ratio", "max_null_share"}
        if unknown:
            raise ValueError(f"unknown quality settings {sorted(unknown)}")
        shares = raw.get("max_null_share") or {}
        if not isinstance(shares, Mapping):
            raise ValueError("max_null_share must map column names to shares")
        return cls(
            min_success_ratio=float(raw.get("min_success_ratio", cls.min_success_ratio)),
            max_null_share={str(k): float(v) for k, v in shares.items()},
        )

    def null_shares(self, entity: str) -> dict[str, float]:
        return {**DEFAULT_MAX_NULL_SHARE.get(entity, {}), **self.max_null_share}


def model_columns(entity: str) -> tuple[str, ...]:
    """The canonical field names of ``entity``, natural key first."""
    spec = entity_spec(entity)
    return (spec.key, *spec.fields)


def build_suite(
    entity: str,
    thresholds: Thresholds | None = None,
    *,
    license_types: Collection[str] | None = None,
    store_check: bool = False,
    region_check: RegionCheck = DEFAULT_REGION_CHECK,
) -> gx.ExpectationSuite:
    """The suite of ``entity`` under a source's thresholds (built once per combination).

    For licenses, ``license_types`` (the catalog's type codes) adds the catalog check and
    ``store_check`` the check that an enterprise holder is held in the store.
    """
    thresholds = thresholds or Thresholds()
    if entity not in ENTITY_NAMES:
        raise ValueError(f"no suite for entity {entity!r}; expected one of {ENTITY_NAMES}")
    return _cached_suite(
        entity,
        thresholds.min_success_ratio,
        tuple(sorted(thresholds.null_shares(entity).items())),
        tuple(sorted(set(license_types))) if license_types is not None else None,
        store_check,
        region_check,
    )


@lru_cache(maxsize=64)
def _cached_suite(
    entity: str,
    mostly: float,
    null_shares: tuple[tuple[str, float], ...],
    license_types: tuple[str, ...] | None,
    store_check: bool,
    region_check: RegionCheck,
) -> gx.ExpectationSuite:
    columns = model_columns(entity)
    head: list[Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=sorted(columns),
            exact_match=True,
            meta=_meta(f"{entity}.unknown_field", "batch"),
        )
    ]
    if entity == "person":
        body = _person(mostly, region_check)
    elif entity == "enterprise":
        body = _enterprise(mostly, region_check)
    else:
        body = _license(mostly, region_check, license_types, store_check)
    tail = [
        gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
            column=column,
            min_value=round(1.0 - share, 6),
            meta=_meta(f"{column}.null_share", "batch", column),
        )
        for column, share in null_shares
    ]
    return gx.ExpectationSuite(name=entity, expectations=[*head, *body, *tail], meta={
        "entity": entity, "min_success_ratio": mostly,
    })  # fmt: skip


def _meta(rule: str, level: str, column: str | None = None, **extra: str) -> dict[str, Any]:
    held = {
        "record": "quarantines the record",
        "batch": "holds the batch back",
        "report": "is reported (a change feed may carry a record twice; the later wins)",
    }[level]
    notes = f"Rule `{rule}`: a failure {held}."
    meta: dict[str, Any] = {"rule": rule, "level": level, "notes": notes, **extra}
    if column is not None:
        meta["field"] = column
    return meta


def _required(entity: str, column: str, mostly: float, rule: str | None = None) -> Expectation:
    return gxe.ExpectColumnValuesToNotBeNull(
        column=column,
        mostly=mostly,
        meta=_meta(rule or f"{entity}.{column}.missing", "record", column,
                   message=f"{column} is empty"),
    )  # fmt: skip


def _codes(column: str, codes: Collection[str], standard: str, mostly: float) -> Expectation:
    return gxe.ExpectColumnValuesToBeInSet(
        column=column,
        value_set=list(codes),
        mostly=mostly,
        meta=_meta(f"{column}.value", "record", column,
                   message=f"{{value!r}} is not a {standard} code"),
    )  # fmt: skip


def _record(
    expectation: type[Expectation], rule: str, field: str, prefix: str = "", **kwargs: Any
) -> Expectation:
    extra = {"rule_prefix": prefix} if prefix else {}
    return expectation(**kwargs, meta=_meta(rule, "record", field, **extra))


def _report(expectation: type[Expectation], rule: str, field: str, **kwargs: Any) -> Expectation:
    """Checked and shown in results and Data Docs; neither quarantines nor holds back."""
    return expectation(**kwargs, meta=_meta(rule, "report", field))


def _person(mostly: float, region_check: RegionCheck) -> list[Expectation]:
    return [
        _required("person", "id_number", mostly, "id_number.missing"),
        _record(ExpectColumnValuesToBeValidIdNumber, "id_number.*", "id_number",
                column="id_number", region_check=region_check, mostly=mostly),
        _report(ExpectColumnValuesToBeUniqueIdentifiers, "id_number.duplicate", "id_number",
                column="id_number", identifier="id_number", region_check=region_check,
                mostly=mostly),
        _required("person", "name", mostly),
        _codes("gender", GENDER_CODES, "GB/T 2261.1 gender", mostly),
        _codes("ethnicity", ETHNICITY_CODES, "GB 3304 ethnicity", mostly),
        _codes("marital_status", MARITAL_STATUS_CODES, "GB/T 2261.2 marital status", mostly),
        _record(ExpectColumnValuesToBeValidDate, "birth_date.format", "birth_date",
                column="birth_date", mostly=mostly),
        _record(ExpectColumnPairValuesToMatchIdNumberBirthDate, "person.birth_date_matches_id",
                "birth_date", column_A="id_number", column_B="birth_date",
                region_check=region_check, mostly=mostly),
        _record(ExpectColumnPairValuesToMatchIdNumberGender, "person.gender_matches_id",
                "gender", column_A="id_number", column_B="gender", region_check=region_check,
                mostly=mostly),
    ]  # fmt: skip


def _enterprise(mostly: float, region_check: RegionCheck) -> list[Expectation]:
    return [
        _required("enterprise", "credit_code", mostly, "credit_code.missing"),
        _record(ExpectColumnValuesToBeValidCreditCode, "credit_code.*", "credit_code",
                column="credit_code", mostly=mostly),
        _report(ExpectColumnValuesToBeUniqueIdentifiers, "credit_code.duplicate",
                "credit_code", column="credit_code", identifier="credit_code", mostly=mostly),
        _required("enterprise", "name", mostly),
        _record(ExpectColumnValuesToBeValidIdNumber, "enterprise.legal_rep.id_number.*",
                "legal_rep_id_number", "enterprise.legal_rep.", column="legal_rep_id_number",
                region_check=region_check, mostly=mostly),
        _record(ExpectColumnValuesToBeValidDecimal, "registered_capital.format",
                "registered_capital", column="registered_capital", mostly=mostly),
        _record(ExpectColumnValuesToBeValidDate, "established_on.format", "established_on",
                column="established_on", mostly=mostly),
        _record(ExpectColumnValuesToBeKnownRegionCode, "region_code.unknown_region",
                "region_code", column="region_code", mostly=mostly),
    ]  # fmt: skip


def _license(
    mostly: float,
    region_check: RegionCheck,
    license_types: tuple[str, ...] | None,
    store_check: bool,
) -> list[Expectation]:
    citizen = Column("holder_id_type") == HOLDER_CITIZEN
    enterprise = Column("holder_id_type") == HOLDER_ENTERPRISE
    found: list[Expectation] = [
        *(_required("license", c, mostly)
          for c in ("license_type_code", "license_number", "holder_id_type", "holder_id")),
        _codes("holder_id_type", HOLDER_ID_TYPES, "GB/T 36901 holder ID type", mostly),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["license_type_code", "license_number"],
            mostly=mostly,
            meta=_meta("license.license_key.duplicate", "report", "license_number",
                       message="license {value} occurs more than once in this batch"),
        ),
        _record(ExpectColumnValuesToBeValidIdNumber, "id_number.*", "holder_id",
                column="holder_id", region_check=region_check, row_condition=citizen,
                mostly=mostly),
        _record(ExpectColumnValuesToBeValidCreditCode, "credit_code.*", "holder_id",
                column="holder_id", row_condition=enterprise, mostly=mostly),
        _record(ExpectColumnValuesToBeValidHolders, "license.holders.*", "holders",
                column="holders", region_check=region_check, mostly=mostly),
        # the issuer's code is checked at sync, not first when the license is sealed
        _record(ExpectColumnValuesToBeValidCreditCode, "license.issuer_code.credit_code.*",
                "issuer_code", "license.issuer_code.", column="issuer_code", mostly=mostly),
        *(_record(ExpectColumnValuesToBeValidDate, f"{c}.format", c, column=c, mostly=mostly)
          for c in ("issue_date", "valid_from", "valid_until")),
        _record(ExpectColumnPairDatesToBeInOrder, "license.validity_order", "valid_until",
                column_A="valid_from", column_B="valid_until", mostly=mostly),
        _record(ExpectColumnValuesToBeKnownRegionCode, "jurisdiction_code.unknown_region",
                "jurisdiction_code", column="jurisdiction_code", mostly=mostly),
        gxe.ExpectColumnValuesToBeInTypeList(
            column="fields",
            type_list=["dict"],
            mostly=mostly,
            meta=_meta("license.fields", "record", "fields",
                       message="type-specific fields must be an object, not {value!r}"),
        ),
    ]  # fmt: skip
    if license_types is not None:
        found.append(_record(ExpectColumnValuesToBeInLicenseCatalog,
                             "license_type_code.not_in_catalog", "license_type_code",
                             column="license_type_code", value_set=list(license_types),
                             mostly=mostly))  # fmt: skip
    if store_check:
        found.append(_record(ExpectColumnValuesToBeInStore, "holder_id.not_in_store",
                             "holder_id", column="holder_id", key_set="enterprise",
                             identifier="credit_code", row_condition=enterprise,
                             mostly=mostly))  # fmt: skip
    return found
