"""The evidence directory: for a service item and an applicant, which materials the hub
supplies now and which the applicant must still bring.

    >>> answer = gather(hub, client, purpose, hub.items.get("11110000RS0201"), applicant)
    >>> [m["material"] for m in answer["supplied"]], [m["material"] for m in answer["to_bring"]]
    (['identity', 'marriage', 'insurance'], ['diagnosis'])

A material is supplied from its share-catalog resource, under the same policy as a direct
lookup (a conditional resource needs the client's grant for this item), or as links to
the applicant's valid sealed e-licenses of its type. A material whose proof would lack a
field the client may not see is not supplied. Each supplied material is a proof the
applicant did not have to bring (索要材料减少).
"""

from __future__ import annotations

from typing import Any

from exchange.catalog import Material, ServiceItem
from exchange.clients import Client
from exchange.deps import Purpose
from exchange.errors import Refusal
from exchange.hub import Hub
from exchange.lookup import lookup
from exchange.metrics import PROOFS_SAVED
from exchange.policy import decide, mask

__all__ = ["gather"]


def gather(
    hub: Hub, client: Client, purpose: Purpose, item: ServiceItem, applicant: str
) -> dict[str, Any]:
    supplied: list[dict[str, Any]] = []
    to_bring: list[dict[str, Any]] = []
    for m in item.materials:
        try:
            supplied.append(_supply(hub, client, purpose, m, applicant))
        except Refusal as r:
            to_bring.append(
                {"material": m.code, "name": m.name, "reason": r.rule, "message": r.message}
            )
    if supplied:
        PROOFS_SAVED.labels(item.code).inc(len(supplied))
    return {
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
        "proofs_saved": len(supplied),
    }


def _supply(hub: Hub, client: Client, purpose: Purpose, m: Material, key: str) -> dict[str, Any]:
    base = {"material": m.code, "name": m.name}
    if m.resource is not None:
        found = lookup(hub, client, purpose, m.resource, key)
        lacking = [f for f in m.fields if f not in found.data]
        if lacking:
            raise Refusal(403, "grant.fields", f"the proof needs {', '.join(lacking)}")
        res = hub.share.resource(m.resource)
        return {
            **base,
            "resource": m.resource,
            "department": res.department,
            "data": {f: found.data[f] for f in m.fields},
        }
    if m.license_type is not None:
        from exchange.routes.licenses import licenses_of

        res = hub.share.resource("license")
        decide(res, hub.grants.active_for(client.client_id, "license"), purpose.service_item)
        found_licenses = licenses_of(hub, key, type_code=m.license_type, status="valid")
        if not found_licenses:
            raise Refusal(404, "license.none", f"no valid {m.name} is held for the applicant")
        return {
            **base,
            "resource": "license",
            "department": res.department,
            "licenses": found_licenses,
        }
    raise Refusal(404, "material.not_shared", "no department shares this material with the hub")
