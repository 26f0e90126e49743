"""Supervision cards (黄牌, 红牌): stored once per case and kind, pushed through the outbox.

=================  ===========================================================
``yellow``         黄牌: the remaining time is at or under the item's threshold
``red``            红牌: the time limit passed
``extra_material`` 红牌 of its own kind: a 补正 asked for a material the item does
                   not list (擅自增加申请材料)
``repeated``       a second application for the same item by the same applicant
                   within a short time (重复提交)
=================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from exchange.outbox.queue import Message, enqueue
from exchange.outbox.rows import insert_many, matching, update_many
from tongban.store import schema

__all__ = ["CARD_KINDS", "Card", "existing_cards", "store_cards"]

CARD_KINDS = {
    "yellow": "黄牌",
    "red": "红牌",
    "extra_material": "红牌(擅自增加申请材料)",
    "repeated": "重复提交",
}


@dataclass(frozen=True, slots=True)
class Card:
    case_no: str
    kind: str
    reason: str
    raised_at: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)


def existing_cards(conn: Connection, case_nos: Sequence[str]) -> set[tuple[str, str]]:
    """(case_no, kind) of the cards already raised for ``case_nos``."""
    t = schema.case_card
    found: set[tuple[str, str]] = set()
    for among in matching(conn, t.c.case_no, list(case_nos)):
        found.update((r[0], r[1]) for r in conn.execute(select(t.c.case_no, t.c.kind).where(among)))
    return found


def card_message(card: Card, seq: int, item_code: str, department: str) -> Message:
    body = {
        "type": "card", "card": card.kind, "card_name": CARD_KINDS[card.kind],
        "raised_at": card.raised_at.isoformat(), "reason": card.reason,
        "item_code": item_code, "department": department, "detail": dict(card.detail),
    }  # fmt: skip
    return Message("supervision", card.case_no, seq, body)


def store_cards(
    conn: Connection,
    cards: Sequence[Card],
    cases: Mapping[str, tuple[int, str, str]],
    now: datetime,
    *,
    update_counts: bool = True,
) -> dict[str, int]:
    """Insert ``cards`` and their outbox messages; ``cases`` gives each case's card count
    so far, item and department. Returns each case's new card count."""
    counts = {c: n for c, (n, _, _) in cases.items()}
    messages = []
    for card in cards:
        counts[card.case_no] += 1
        _, item_code, department = cases[card.case_no]
        messages.append(card_message(card, counts[card.case_no], item_code, department))
    if not cards:
        return counts
    insert_many(
        conn, schema.case_card,
        [{"case_no": c.case_no, "kind": c.kind, "raised_at": c.raised_at, "reason": c.reason,
          "detail": dict(c.detail)} for c in cards],
    )  # fmt: skip
    enqueue(conn, messages, now)
    if update_counts:
        touched = sorted({c.case_no for c in cards})
        update_many(
            conn,
            schema.service_case,
            "case_no",
            [{"case_no": c, "card_count": counts[c]} for c in touched],
        )
    return counts
