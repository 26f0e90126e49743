"""Identifiers the hub is keyed by: citizen ID numbers, credit codes, region codes.

Every failure raises :class:`tongban.errors.RecordError` with a named rule
(``id_number.checksum``, ``credit_code.charset``, ...) and a message a reviewer can act on.
The clean-up the rules apply to a code as typed (``clean_code``: white space, full-width
characters, case) is public too, for lookups that must read a code the same way.
"""

from tongban.identifiers._text import FULL_TO_HALF, clean_code, written_upper
from tongban.identifiers.credit_code import (
    CreditCode,
    check_credit_code,
    credit_check_char,
    org_code_check_char,
    parse_credit_code,
)
from tongban.identifiers.id_number import (
    IdNumber,
    check_id_number,
    id_check_char,
    parse_id_number,
    upgrade_id_number,
)
from tongban.identifiers.regions import PROVINCES, Region, is_known_region, region

__all__ = [
    "FULL_TO_HALF",
    "PROVINCES",
    "CreditCode",
    "IdNumber",
    "Region",
    "check_credit_code",
    "check_id_number",
    "clean_code",
    "credit_check_char",
    "id_check_char",
    "is_known_region",
    "org_code_check_char",
    "parse_credit_code",
    "parse_id_number",
    "region",
    "upgrade_id_number",
    "written_upper",
]
