"""The evidence directory: for a service item and an applicant, which materials the hub
supplies now and which the applicant must still bring.

    >>> found = gather(hub, client, purpose, hub.items.get("11110000RS0201"), applicant)
    >>> answer = complete(item, found.body)                 # once found.pending is asked
    >>> [m["material"] for m in answer["supplied"]], [m["material"] for m in answer["to_bring"]]
    (['identity', 'marriage', 'insurance'], ['diagnosis'])

A material is supplied from its share-catalog resource, under the same policy as a direct
lookup (a conditional resource needs the client's grant for this item), or as links to
the applicant's valid sealed e-licenses of its type. A material whose proof would lack a
field the client may not see is not supplied. Each supplied material is a proof the
applicant did not have to bring (索要材料减少).

A material the local store lacks and a peer hub offers is left ``pending`` here (its
:class:`~exchange.federation.Elsewhere` names the peers); the route asks the peers for it
(:mod:`exchange.federation.evidence`) and :func:`complete` counts the proofs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exchange.catalog import Material, ServiceItem
from exchange.clients import Client
from exchange.deps import Purpose
from exchange.errors import Refusal
from exchange.federation.routing import Elsewhere
from exchange.hub import Hub
from exchange.lookup import lookup
from exchange.metrics import PROOFS_SAVED
from exchange.policy import decide, mask

__all__ = ["Directory", "complete", "gather"]


@dataclass
class Directory:
    """The evidence answer as the local store gives it, and what peers are to be asked."""

    body: dict[str, Any]
    pending: list[tuple[Material, Elsewhere]] = field(default_factory=list)


def gather(
    hub: Hub, client: Client, purpose: Purpose, item: ServiceItem, applicant: str
) -> Directory:
    supplied: list[dict[str, Any]] = []
    to_bring: list[dict[str, Any]] = []
    pending: list[tuple[Material, Elsewhere]] = []
    for m in item.materials:
        try:
            supplied.append(_supply(hub, client, purpose, item, m, applicant))
        except Elsewhere as there:
            pending.append((m, there))
        except Refusal as r:
            to_bring.append(
                {"material": m.code, "name": m.name, "reason": r.rule, "message": r.message}
            )
    body = {
        "item": {
            "code": item.code,
            "name": item.name,
            "category": item.category,
            "department": item.department,
            "time_limit_days": item.time_limit_days,
        },
        "applicant": mask("id_number", applicant) if item.applicant == "person" else applicant,
        "case_no": purpose.case_no,
        "supplied": supplied,
        "to_bring": to_bring,
    }
    return Directory(body, pending)


def complete(item: ServiceItem, body: dict[str, Any]) -> dict[str, Any]:
    """Materials in the item's order, and the proofs the applicant did not bring counted."""
    order = {m.code: i for i, m in enumerate(item.materials)}
    for part in ("supplied", "to_bring"):
        body[part].sort(key=lambda e: order.get(e["material"], len(order)))
    body["proofs_saved"] = len(body["supplied"])
    if body["supplied"]:
        PROOFS_SAVED.labels(item.code).inc(len(body["supplied"]))
    return body


def _supply(
    hub: Hub, client: Client, purpose: Purpose, item: ServiceItem, m: Material, key: str
) -> dict[str, Any]:
    base = {"material": m.code, "name": m.name}
    if m.resource is not None:
        found = lookup(hub, client, purpose, m.resource, key)
        lacking = [f for f in m.fields if f not in found.view.fields]
        if lacking:
            raise Refusal(403, "grant.fields", f"the proof needs {', '.join(lacking)}")
        res = hub.share.resource(m.resource)
        if "records" in found.data and res.match is not None:
            data: dict[str, Any] = {
                "records": [{f: r[f] for f in m.fields} for r in found.data["records"]]
            }
        else:
            data = {f: found.data[f] for f in m.fields}
        return {**base, "resource": m.resource, "department": res.department, "data": data}
    if m.license_type is not None:
        from exchange.routes.licenses import licenses_of

        res = hub.share.resource("license")
        decide(res, hub.grants.active_for(client.client_id, "license"), purpose.service_item)
        found_licenses = licenses_of(hub, key, type_code=m.license_type, status="valid")
        fed = hub.federation
        if (
            not found_licenses
            and fed is not None
            and not licenses_of(hub, key, type_code=m.license_type)
        ):
            fed.route(client, res, key, entity=item.applicant)  # a peer's vault may hold it
        if not found_licenses:
            raise Refusal(404, "license.none", f"no valid {m.name} is held for the applicant")
        return {
            **base,
            "resource": "license",
            "department": res.department,
            "licenses": found_licenses,
        }
    raise Refusal(404, "material.not_shared", "no department shares this material with the hub")
