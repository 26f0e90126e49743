"""The public surface of the cases packages, pinned: other components call only these."""

from __future__ import annotations

import exchange.cases
import exchange.outbox
import exchange.reports
import exchange.supervision


def test_public_surfaces() -> None:
    assert sorted(exchange.cases.__all__) == sorted([
        "STAGES", "EventRefused", "IntakeResult", "Material", "ServiceItem", "case_progress",
        "parse_event", "record_events", "service_items",
    ])  # fmt: skip
    assert sorted(exchange.outbox.__all__) == sorted([
        "TARGETS", "DispatchOptions", "Dispatcher", "HttpReceiver", "Message", "OutboxSettings",
        "Receiver", "SendResult", "backoff", "bearer_auth", "dead_letters", "enqueue",
        "outbox_status", "province_auth", "retry_dead",
    ])  # fmt: skip
    assert sorted(exchange.supervision.__all__) == sorted([
        "BEIJING", "CARD_KINDS", "CalendarError", "Card", "ClockReading", "HolidayCalendar",
        "SupervisionSettings", "SweepResult", "due_cards", "list_cards", "local_date",
        "read_clock", "supervise",
    ])  # fmt: skip
    assert sorted(exchange.reports.__all__) == sorted(
        ["COLUMNS", "CaseReport", "period_bounds", "period_report", "write_report"]
    )
    for module in (exchange.cases, exchange.outbox, exchange.supervision, exchange.reports):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
