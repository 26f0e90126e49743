"""E-supervision (电子监察): the working-day clock on the official holiday calendar, and
the yellow and red cards it raises."""

from exchange.supervision.calendar import CalendarError, HolidayCalendar
from exchange.supervision.cards import CARD_KINDS, Card
from exchange.supervision.clock import BEIJING, ClockReading, local_date, read_clock
from exchange.supervision.settings import SupervisionSettings
from exchange.supervision.sweep import SweepResult, due_cards, list_cards, supervise

__all__ = [
    "BEIJING",
    "CARD_KINDS",
    "CalendarError",
    "Card",
    "ClockReading",
    "HolidayCalendar",
    "SupervisionSettings",
    "SweepResult",
    "due_cards",
    "list_cards",
    "local_date",
    "read_clock",
    "supervise",
]
