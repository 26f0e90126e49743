"""Case intake on both store lanes: the rules, idempotency, all-or-nothing, the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from case_events import (
    CST,
    FOOD,
    HUKOU,
    MATERNITY,
    credit_code,
    event,
    full_case,
    id_number,
    received,
)
from sqlalchemy import func, select

from exchange.cases import EventRefused, record_events
from tongban.store import Store, schema

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        t = schema.metadata.tables[table]
        return conn.execute(select(func.count()).select_from(t)).scalar_one()


def _outbox(store: Store, target: str) -> list[tuple[str, int, str]]:
    o = schema.outbox
    with store.engine.connect() as conn:
        rows = conn.execute(select(o.c.case_no, o.c.seq, o.c.payload).where(o.c.target == target)
                            .order_by(o.c.case_no, o.c.seq)).all()  # fmt: skip
    return [(c, s, p["type"] if target == "province" else p["card"]) for c, s, p in rows]


def test_a_case_through_its_stages_reaches_the_outbox_in_order(store: Store) -> None:
    result = record_events(store, "qlb", full_case("C1", "2026-11-02"), now=NOW)
    assert result.outcomes == ["stored"] * 4
    assert _outbox(store, "province") == [
        ("C1", 1, "received"), ("C1", 2, "accepted"), ("C1", 3, "reviewed"),
        ("C1", 4, "concluded"),
    ]  # fmt: skip
    lane = schema.outbox_lane
    with store.engine.connect() as conn:
        assert conn.execute(select(lane.c.target, lane.c.pending)).all() == [("province", 4)]
        case = conn.execute(select(schema.service_case)).mappings().one()
    assert case["stage"] == "concluded" and case["result"] == "approved"
    assert case["department"] == "人力资源和社会保障局" and case["applicant_type"] == "111"


def test_an_enterprise_applies_with_its_credit_code(store: Store) -> None:
    record_events(store, "qlb", [received("E1", "2026-11-02 09:00", item=FOOD,
                                          applicant=credit_code(7))], now=NOW)  # fmt: skip
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.service_case.c.applicant_type)).scalar() == "001"


@pytest.mark.parametrize(
    ("events", "rule"),
    [
        ([received("C1", "2026-11-02 09:00", item="999999-XX-0000")], "item.unknown"),
        ([received("C1", "2026-11-02 09:00", applicant="110105194912310021")],
         "id_number.checksum"),
        ([received("C1", "2026-11-02 09:00", item=FOOD, applicant="91330100MA2XXXXX1X")],
         "credit_code."),
        ([received("C1", "2026-11-02 09:00", item=FOOD)], "applicant.type"),
        ([received("C1", "2026-12-25 09:00")], "event.time_future"),
        ([received("C1", "2026-11-02 09:00"), event("reviewed", "C1", "2026-11-02 10:00", 2)],
         "event.stage_order"),
        ([received("C1", "2026-11-02 09:00"), event("accepted", "C1", "2026-11-01 10:00", 2)],
         "event.time_order"),
        ([*full_case("C1", "2026-11-02"), event("suspended", "C1", "2026-11-03 10:00", 5,
                                                reason="x")], "event.after_conclusion"),
        ([event("accepted", "C9", "2026-11-02 10:00", 2)], "case.unknown"),
        ([received("C1", "2026-11-02 09:00"), {**received("C2", "2026-11-02 09:00"),
                                               "event_id": "C1-1"}], "event.id_reused"),
        ([{"type": "accepted", "event_id": "x", "case_no": "C1", "at": "2026-11-02T09:00:00"}],
         "event.time_zone"),
        ([{"type": "rating", "event_id": "x", "case_no": "C1",
           "at": "2026-11-02T01:00:00+00:00", "score": 6}],
         "rating.score"),
        ([received("C1", "2026-11-02 09:00"), event("resumed", "C1", "2026-11-02 10:00", 2)],
         "event.not_suspended"),
    ],
)  # fmt: skip
def test_a_bad_event_is_refused_with_its_rule_and_nothing_is_stored(
    store: Store, events: list[dict], rule: str
) -> None:
    good = full_case("OK1", "2026-11-02")
    with pytest.raises(EventRefused) as info:
        record_events(store, "qlb", [*good, *events], now=NOW)
    assert info.value.rule.startswith(rule), str(info.value)
    assert f"event {info.value.index} (" in str(info.value) and info.value.index >= len(good)
    for table in ("service_case", "case_event", "outbox", "outbox_lane", "case_card"):
        assert _count(store, table) == 0, table


def test_resending_events_is_harmless_and_a_reused_id_is_refused(store: Store) -> None:
    events = full_case("C1", "2026-11-02")
    record_events(store, "qlb", events[:2], now=NOW)
    again = record_events(store, "qlb", events, now=NOW)
    assert again.outcomes == ["duplicate", "duplicate", "stored", "stored"]
    assert _count(store, "case_event") == 4 and _count(store, "outbox") == 4
    changed = {**events[1], "at": "2026-11-02T10:45:00+08:00"}
    with pytest.raises(EventRefused, match=r"event\.id_reused"):
        record_events(store, "qlb", [changed], now=NOW)
    # The same event id from another approval system is another event.
    with pytest.raises(EventRefused, match=r"case\.client"):
        record_events(store, "other", [event("rating", "C1", "2026-11-03 09:00", 9, score=5)],
                      now=NOW)  # fmt: skip


def test_a_rating_comes_once_and_may_follow_conclusion(store: Store) -> None:
    record_events(store, "qlb", full_case("C1", "2026-11-02"), now=NOW)
    rate = event("rating", "C1", "2026-11-03 09:00", 5, score=4, comment="办事快")
    assert record_events(store, "qlb", [rate], now=NOW).stored == 1
    with pytest.raises(EventRefused, match=r"rating\.once"):
        record_events(store, "qlb", [{**rate, "event_id": "C1-6"}], now=NOW)


def test_suspension_and_forwarding_are_kept_on_the_case(store: Store) -> None:
    events = [
        received("C1", "2026-11-02 09:00", item=HUKOU),
        event("accepted", "C1", "2026-11-02 09:30", 2),
        event("suspended", "C1", "2026-11-03 09:00", 3, reason="公告期"),
        event("reviewed", "C1", "2026-11-03 10:00", 4),
    ]
    with pytest.raises(EventRefused, match=r"event\.suspended"):
        record_events(store, "qlb", events, now=NOW)
    events[3:] = [
        event("resumed", "C1", "2026-11-05 09:00", 4),
        event("forwarded", "C1", "2026-11-05 10:00", 5, to="省民政厅"),
        event("forward_answered", "C1", "2026-11-06 10:00", 6, answer="approved"),
    ]
    record_events(store, "qlb", events, now=NOW)
    with store.engine.connect() as conn:
        case = conn.execute(select(schema.service_case)).mappings().one()
    assert case["suspended_at"] is None and len(case["suspensions"]) == 1
    assert case["forwarded_to"] == "省民政厅" and case["forward_answer"] == "approved"


def test_extra_material_and_repeated_submission_raise_cards_for_supervision(store: Store) -> None:
    applicant = id_number(5)
    first = [received("C1", "2026-11-02 09:00", applicant=applicant),
             event("accepted", "C1", "2026-11-02 10:00", 2),
             event("correction", "C1", "2026-11-02 11:00", 3,
                   materials=["医学诊断证明", "房屋产权证明"])]  # fmt: skip
    result = record_events(store, "qlb", first, now=NOW)
    assert [(c.case_no, c.kind) for c in result.cards] == [("C1", "extra_material")]
    assert "房屋产权证明" in result.cards[0].reason and "医学诊断证明" not in result.cards[0].reason
    # The same applicant, the same item, three days later: a repeated submission.
    again = record_events(store, "qlb", [received("C2", "2026-11-05 09:00", applicant=applicant)],
                          now=NOW)  # fmt: skip
    assert [(c.case_no, c.kind) for c in again.cards] == [("C2", "repeated")]
    # Another item, or weeks later, is not.
    later = [received("C3", "2026-11-05 09:00", applicant=applicant, item=HUKOU),
             received("C4", "2026-11-28 09:00", applicant=applicant, item=MATERNITY)]  # fmt: skip
    assert record_events(store, "qlb", later, now=NOW).cards == []
    assert _outbox(store, "supervision") == [("C1", 1, "extra_material"), ("C2", 1, "repeated")]


def test_times_are_kept_as_instants_whatever_offset_they_came_with(store: Store) -> None:
    beijing_now = datetime(2026, 12, 1, 4, tzinfo=CST)  # 20:00 UTC the day before
    result = record_events(store, "qlb", full_case("C1", "2026-11-02"), now=beijing_now)
    assert result.stored == 4
    with store.engine.connect() as conn:
        recorded = conn.execute(select(schema.case_event.c.recorded_at)).scalars().first()
        received = conn.execute(select(schema.service_case.c.received_at)).scalar_one()
    as_utc = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in (recorded, received)]
    assert as_utc == [datetime(2026, 11, 30, 20, tzinfo=UTC), datetime(2026, 11, 2, 1, tzinfo=UTC)]
