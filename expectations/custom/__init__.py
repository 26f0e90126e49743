"""Custom Great Expectations expectations built on the hub's own rules.

Importing this package registers every expectation and its pandas metric with GX.
"""

from expectations.custom._base import Explains, KnownKeys, batch_scope, per_distinct
from expectations.custom.identifiers import (
    ExpectColumnValuesToBeInLicenseCatalog,
    ExpectColumnValuesToBeInStore,
    ExpectColumnValuesToBeKnownRegionCode,
    ExpectColumnValuesToBeUniqueIdentifiers,
    ExpectColumnValuesToBeValidCreditCode,
    ExpectColumnValuesToBeValidHolders,
    ExpectColumnValuesToBeValidIdNumber,
)
from expectations.custom.pairs import (
    ExpectColumnPairDatesToBeInOrder,
    ExpectColumnPairValuesToMatchIdNumberBirthDate,
    ExpectColumnPairValuesToMatchIdNumberGender,
)
from expectations.custom.values import (
    ExpectColumnValuesToBeValidDate,
    ExpectColumnValuesToBeValidDecimal,
)

__all__ = [
    "ExpectColumnPairDatesToBeInOrder",
    "ExpectColumnPairValuesToMatchIdNumberBirthDate",
    "ExpectColumnPairValuesToMatchIdNumberGender",
    "ExpectColumnValuesToBeInLicenseCatalog",
    "ExpectColumnValuesToBeInStore",
    "ExpectColumnValuesToBeKnownRegionCode",
    "ExpectColumnValuesToBeUniqueIdentifiers",
    "ExpectColumnValuesToBeValidCreditCode",
    "ExpectColumnValuesToBeValidDate",
    "ExpectColumnValuesToBeValidDecimal",
    "ExpectColumnValuesToBeValidHolders",
    "ExpectColumnValuesToBeValidIdNumber",
    "Explains",
    "KnownKeys",
    "batch_scope",
    "per_distinct",
]
