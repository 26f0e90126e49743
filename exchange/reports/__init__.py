"""Reports for provincial reporters: per period, department and service item."""

from exchange.reports.compute import COLUMNS, CaseReport, period_bounds, period_report
from exchange.reports.render import write_report

__all__ = ["COLUMNS", "CaseReport", "period_bounds", "period_report", "write_report"]
