"""Cases (办件) reported by approval systems: the service-item catalog, the events and
their rules, and intake into the store with the outbox in the same transaction."""

from exchange.cases.catalog import Material, ServiceItem, service_items
from exchange.cases.events import EventRefused, parse_event
from exchange.cases.intake import IntakeResult, record_events
from exchange.cases.progress import case_progress
from exchange.cases.rules import STAGES

__all__ = [
    "STAGES",
    "EventRefused",
    "IntakeResult",
    "Material",
    "ServiceItem",
    "case_progress",
    "parse_event",
    "record_events",
    "service_items",
]
