"""Each entity's rule, once, over a batch's columns (see ``tongban.entities``)."""

from tongban.rules._columns import Columns, Errors
from tongban.rules.enterprise import clean_enterprises
from tongban.rules.license import clean_licenses
from tongban.rules.person import clean_people

__all__ = ["Columns", "Errors", "clean_enterprises", "clean_licenses", "clean_people"]
