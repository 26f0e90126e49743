"""Case events for the tests: real ID numbers and credit codes, Beijing times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from tongban.identifiers import credit_check_char, id_check_char, org_code_check_char

CST = timezone(timedelta(hours=8))
# Items of the exchange's catalog (exchange/service_items.yaml).
MATERNITY = "11110000RS0201"  # 生育津贴申领: a person, 10 working days, yellow at 2 left
HUKOU = "11110000GA0301"  # 户口迁入: a person, 15 working days, yellow at 3 left
DIBAO = "11110000MZ0401"  # 最低生活保障申请: a person, 30 working days, yellow at 5 left
FOOD = "11110000SC0102"  # 食品经营许可: an enterprise, 20 working days


def id_number(n: int) -> str:
    body = f"110105{1960 + n % 40}0{1 + n % 9}1{n % 10}{n % 1000:03d}"
    return body + id_check_char(body)


def credit_code(n: int) -> str:
    org = f"{n:08d}"
    org += org_code_check_char(org)
    body = f"91330100{org}"
    return body + credit_check_char(body)


def at(text: str) -> str:
    """'2026-11-02 09:00' in Beijing time, as ISO 8601 with the offset."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CST).isoformat()


def event(kind: str, case_no: str, when: str, n: int, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": f"{case_no}-{n}", "case_no": case_no,
            "at": at(when) if " " in when else when, **fields}  # fmt: skip


def received(case_no: str, when: str, *, item: str = MATERNITY, applicant: str | None = None,
             channel: str = "online") -> dict[str, Any]:  # fmt: skip
    return event("received", case_no, when, 1, item_code=item,
                 applicant_id=applicant or id_number(1), channel=channel)  # fmt: skip


def full_case(case_no: str, day: str, *, item: str = MATERNITY, applicant: str | None = None,
              channel: str = "online") -> list[dict[str, Any]]:  # fmt: skip
    """A case received, accepted, reviewed and concluded on ``day`` (YYYY-MM-DD)."""
    return [
        received(case_no, f"{day} 09:00", item=item, applicant=applicant, channel=channel),
        event("accepted", case_no, f"{day} 09:30", 2),
        event("reviewed", case_no, f"{day} 11:00", 3),
        event("concluded", case_no, f"{day} 15:00", 4, result="approved"),
    ]


def many_cases(cases: int, events_per_case: int, *, start: datetime) -> Iterator[dict[str, Any]]:
    """``cases`` cases of ``events_per_case`` events each (received, accepted, then
    pairs of suspended/resumed, a correction, reviewed, concluded), interleaved."""
    middle = max(0, events_per_case - 4)
    steps = [
        "received",
        "accepted",
        *["suspended", "resumed"] * (middle // 2),
        *["correction"] * (middle % 2),
        "reviewed",
        "concluded",
    ][:events_per_case]
    for i, kind in ((i, k) for k in range(len(steps)) for i in range(cases)):
        case_no = f"K{i:06d}"
        when = (start + timedelta(minutes=i % 600, seconds=kind)).isoformat()
        step = steps[kind]
        extra: dict[str, Any] = {}
        if step == "received":
            extra = {"item_code": MATERNITY, "applicant_id": id_number(i), "channel": "online"}
        elif step == "suspended":
            extra = {"reason": "现场核查"}
        elif step == "correction":
            extra = {"materials": ["医学诊断证明"]}  # one the item lists: no card
        elif step == "concluded":
            extra = {"result": "approved"}
        yield {"type": step, "event_id": f"{case_no}-{kind + 1}", "case_no": case_no,
               "at": when, **extra}  # fmt: skip
