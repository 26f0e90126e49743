"""Identifiers the hub is keyed by: citizen ID numbers, credit codes, region codes (and the
region names departments write for them, ``region_by_name``).

Every failure raises :class:`tongban.errors.RecordError` with a named rule
(``id_number.checksum``, ``credit_code.charset``, ...) and a message a reviewer can act on.
The clean-up the rules apply to a code as typed (``clean_code``: white space, full-width
characters, case) is public too, for lookups that must read a code the same way; so are
the column forms of the checks (``well_formed_id_numbers``, ``well_formed_credit_codes``,
``ascii_matrix``, ``written_upper``) that validate a batch at once.
"""

from tongban.identifiers._text import FULL_TO_HALF, ascii_matrix, clean_code, written_upper
from tongban.identifiers.credit_code import (
    CreditCode,
    check_credit_code,
    credit_check_char,
    org_code_check_char,
    parse_credit_code,
    well_formed_credit_codes,
)
from tongban.identifiers.id_number import (
    DEFAULT_REGION_CHECK,
    IdNumber,
    RegionCheck,
    check_id_number,
    id_check_char,
    parse_id_number,
    upgrade_id_number,
    well_formed_id_numbers,
)
from tongban.identifiers.region_names import region_by_name
from tongban.identifiers.regions import PROVINCES, Region, is_known_region, region, region_codes

__all__ = [
    "DEFAULT_REGION_CHECK",
    "FULL_TO_HALF",
    "PROVINCES",
    "CreditCode",
    "IdNumber",
    "Region",
    "RegionCheck",
    "ascii_matrix",
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
    "region_by_name",
    "region_codes",
    "upgrade_id_number",
    "well_formed_credit_codes",
    "well_formed_id_numbers",
    "written_upper",
]
