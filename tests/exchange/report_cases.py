"""A month of cases (November 2026) for the report and CLI tests, and its supervision."""

from __future__ import annotations

from datetime import UTC, datetime

from case_events import DIBAO, HUKOU, MATERNITY, event, id_number, received

from exchange.cases import record_events
from exchange.supervision import SupervisionSettings, supervise
from tongban.store import Store

NOW = datetime(2026, 11, 30, 6, tzinfo=UTC)  # 14:00 in Beijing


def _case(no: str, item: str, day: str, channel: str, *rest: tuple, applicant: int = 1) -> list:
    events = [received(no, f"{day} 09:00", item=item, channel=channel,
                       applicant=id_number(applicant)),
              event("accepted", no, f"{day} 09:30", 2)]  # fmt: skip
    for n, (kind, when, fields) in enumerate(rest, start=3):
        events.append(event(kind, no, when, n, **fields))
    return events


def november(store: Store) -> None:
    """Record the month's cases and run the supervision sweep at the end of it."""
    cases = [
        _case("F1", MATERNITY, "2026-11-02", "online", ("reviewed", "2026-11-05 10:00", {}),
              ("concluded", "2026-11-06 10:00", {"result": "approved"}),
              ("rating", "2026-11-07 10:00", {"score": 5}), applicant=1),
        _case("F2", MATERNITY, "2026-11-03", "counter", ("reviewed", "2026-11-18 10:00", {}),
              ("concluded", "2026-11-19 10:00", {"result": "refused"}),
              ("rating", "2026-11-19 12:00", {"score": 2, "comment": "太慢"}), applicant=2),
        _case("F3", MATERNITY, "2026-11-20", "online", applicant=3),
        _case("F4", MATERNITY, "2026-10-20", "online", ("reviewed", "2026-10-30 10:00", {}),
              ("concluded", "2026-11-02 10:00", {"result": "approved"}), applicant=4),
        _case("A1", HUKOU, "2026-11-02", "online", applicant=5),
        _case("A2", HUKOU, "2026-11-12", "counter", applicant=6),
        _case("A3", HUKOU, "2026-11-10", "online",
              ("forwarded", "2026-11-10 15:00", {"to": "省民政厅"}),
              ("suspended", "2026-11-11 10:00", {"reason": "公告期"}),
              ("resumed", "2026-11-16 09:00", {}),
              ("forward_answered", "2026-11-16 10:00", {"answer": "approved"}),
              ("reviewed", "2026-11-17 10:00", {}),
              ("concluded", "2026-11-18 10:00", {"result": "approved"}),
              ("rating", "2026-11-18 11:00", {"score": 4}), applicant=7),
        _case("B1", DIBAO, "2026-11-05", "online",
              ("correction", "2026-11-06 10:00",
               {"materials": ["家庭收入声明", "无犯罪记录证明"]}),
              ("forwarded", "2026-11-09 10:00", {"to": "省人社厅"}), applicant=8),
        [received("B2", "2026-11-09 11:00", item=DIBAO, applicant=id_number(8))],
    ]  # fmt: skip
    for events in cases:
        record_events(store, "qlb-zwfw", events, now=NOW)
    result = supervise(store, now=NOW, settings=SupervisionSettings())
    assert result.problems == [], result.problems
