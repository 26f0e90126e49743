"""One resource of one subject, as a client may see it for a purpose.

    >>> found = lookup(hub, client, purpose, "person", "11010519491231002X")
    >>> found.data["id_number"]
    '110105********002X'

The policy decides before the store is read, so a refused client learns nothing of
whether the subject exists. A resource tied to a source system (民政's marriage
registrations, 人社's social insurance) exists for a subject only when a field of the
golden record came from that source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exchange.clients import Client
from exchange.deps import Purpose
from exchange.errors import Refusal, from_record_error
from exchange.hub import Hub
from exchange.policy import View, decide, mask, shape
from tongban.errors import RecordError
from tongban.identifiers import check_credit_code, check_id_number

__all__ = ["Found", "lookup", "normalize_subject"]


@dataclass(frozen=True, slots=True)
class Found:
    resource: str
    subject: str
    data: dict[str, Any]
    view: View

    def payload(self, hub: Hub, request_id: str) -> dict[str, Any]:
        res = hub.share.resource(self.resource)
        return {
            "resource": self.resource,
            "title": res.title,
            "department": res.department,
            "subject": mask("id_number", self.subject)
            if res.entity != "enterprise"
            else self.subject,
            "data": self.data,
            "masked": sorted(self.view.masked),
            "withheld": list(self.view.withheld),
            "request_id": request_id,
        }


def normalize_subject(hub: Hub, entity: str, raw: str) -> str:
    """An ID number or credit code by the ingest rules, or 422 naming the rule."""
    try:
        if entity == "enterprise":
            return check_credit_code(raw)
        return check_id_number(raw, region_check=hub.settings.region_check)
    except RecordError as exc:
        raise from_record_error(exc) from None


def lookup(hub: Hub, client: Client, purpose: Purpose, resource: str, key: str) -> Found:
    res = hub.share.resource(resource)
    view = decide(res, hub.grants.active_for(client.client_id, resource), purpose.service_item)
    record = hub.store.get(res.entity, key)
    if record is not None and res.source is not None:
        origins = (record.get("provenance") or {}).values()
        if not any(isinstance(o, dict) and o.get("source") == res.source for o in origins):
            record = None
    if record is None:
        raise Refusal(
            404, "subject.not_found", f"{res.title} holds nothing for {mask('id_number', key)}"
        )
    return Found(resource, key, shape(record, view, res), view)
