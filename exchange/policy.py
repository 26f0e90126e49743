"""Which fields of a resource a client sees for a purpose, and how they are masked.

    >>> view = decide(share.resource("person"), grants=[], service_item="11110000RS0201")
    >>> view.fields, view.withheld
    (('id_number', 'name', 'gender', 'birth_date'), ('address',))
    >>> shape({"id_number": "11010519491231002X", "name": "张三"}, view, person)["id_number"]
    '110105********002X'

Unconditional fields are open to every client for a known service item; conditional
ones only under an unexpired grant that covers the service item; not-shared ones never.
A conditional resource without such a grant is refused (403 ``grant.missing`` or
``grant.expired``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exchange.catalog import Resource
from exchange.errors import Refusal
from exchange.grants import Grant
from tongban.store import utcnow

__all__ = ["View", "decide", "mask", "shape"]


@dataclass(frozen=True, slots=True)
class View:
    """What one request may see of one resource."""

    resource: str
    fields: tuple[str, ...]
    masked: frozenset[str]
    withheld: tuple[str, ...]  # conditional fields no grant opened
    grant_ids: tuple[int, ...] = ()


def decide(resource: Resource, grants: Sequence[Grant], service_item: str) -> View:
    if resource.share == "not_shared":
        raise Refusal(403, "share.not_shared", f"resource {resource.name} is not shared")
    now = utcnow()
    covering = [g for g in grants if g.covers(service_item)]
    live = [g for g in covering if not g.expired(now)]
    if resource.share == "conditional" and not live:
        if covering:
            last = max(g.expires_at for g in covering)
            raise Refusal(
                403,
                "grant.expired",
                f"the grant on {resource.name} for item {service_item} expired at"
                f" {last.isoformat(timespec='seconds')}",
            )
        raise Refusal(
            403,
            "grant.missing",
            f"{resource.name} ({resource.title}, {resource.department}) is shared on"
            f" condition: no grant covers this client for item {service_item}",
        )
    opened = {f for g in live for f in g.fields}
    unmasked = {f for g in live for f in g.unmasked}
    fields, withheld = [], []
    for name, rule in resource.fields.items():
        if rule.share == "unconditional" or (rule.share == "conditional" and name in opened):
            fields.append(name)
        elif rule.share == "conditional":
            withheld.append(name)
    if resource.share == "conditional" and not fields:
        raise Refusal(403, "grant.fields", f"the grant on {resource.name} opens no field")
    masked = frozenset(
        n for n in fields if resource.fields[n].mask is not None and n not in unmasked
    )
    return View(
        resource.name, tuple(fields), masked, tuple(withheld), tuple(g.grant_id for g in live)
    )


def mask(kind: str, value: Any) -> Any:
    """Show the ends of an identifier or phone number, hide the middle; of a license's
    holders, each citizen's ID number (a credit code is public)."""
    if kind == "holders" and isinstance(value, list):
        return [
            {**h, "id": mask("id_number", h.get("id"))}
            if isinstance(h, Mapping) and h.get("id_type") != "001"
            else h
            for h in value
        ]
    if not isinstance(value, str) or not value:
        return value
    if kind == "id_number":
        return value[:6] + "*" * 8 + value[-4:] if len(value) == 18 else value
    if kind == "phone" and len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return value


def shape(record: Mapping[str, Any], view: View, resource: Resource) -> dict[str, Any]:
    """The record cut down to the view's fields, masked where the view says.

    A holder ID of type 001 is an enterprise's credit code, which is public."""
    out: dict[str, Any] = {}
    for name in view.fields:
        value = record.get(name)
        rule = resource.fields[name].mask
        if name in view.masked and rule and record.get(f"{name}_type") != "001":
            value = mask(rule, value)
        out[name] = value
    return out
