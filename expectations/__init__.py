"""Data quality with Great Expectations: suites per entity, the batch gate, Data Docs.

Every batch is validated *before* normalization and merge, as the pipeline's mapped
records (canonical field names, raw values such as a 15-digit ID number with spaces).
Validating raw records rather than normalized ones is deliberate:

* the batch gate must see the batch as the source sent it: a source that suddenly sends
  40% broken ID numbers is stopped, not silently thinned out by normalization;
* every record that normalization would refuse is reported by GX under an expectation's
  name (and shows in Data Docs), with our own rule name (``id_number.checksum``) for the
  quarantine;
* a record is checked against every expectation, so a reviewer sees all its problems.

The custom expectations call the hub's own rules (``tongban.identifiers``,
``tongban.normalize``), which accept raw values, so GX and the store never disagree.

    >>> verdict = validate_batch("person", records, thresholds=Thresholds(0.9),
    ...                          source="gongan_population")              # doctest: +SKIP
    >>> verdict.gate_passed, verdict.statistics.success_ratio             # doctest: +SKIP
    >>> build_data_docs("data/gx/docs", results=[verdict.as_record()])     # doctest: +SKIP
"""

import expectations._gx  # noqa: F401  (first: keeps GX's analytics off before GX loads)
from expectations.custom import KnownKeys
from expectations.docs import build_data_docs
from expectations.suites import ENTITY_NAMES, Thresholds, build_suite
from expectations.validator import BatchVerdict, Failure, SuiteStatistics, validate_batch

__all__ = [
    "ENTITY_NAMES",
    "BatchVerdict",
    "Failure",
    "KnownKeys",
    "SuiteStatistics",
    "Thresholds",
    "build_data_docs",
    "build_suite",
    "validate_batch",
]
