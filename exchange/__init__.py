"""The exchange API: approval systems fetch shared evidence and e-licenses (数据共享交换).

    >>> app = create_app(load_settings())                 # FastAPI; `tongban serve` runs it
    >>> @router.get("/v1/cases/{case_no}")                 # a route of another part
    ... def case(case_no: str, request: Request,
    ...          client: Client = Depends(authenticated_client),
    ...          purpose: Purpose = Depends(stated_purpose)) -> Response:
    ...     return answer(request, {...}, resource="case", subject=case_no)

``authenticated_client`` and ``stated_purpose`` are the dependencies every route uses;
``answer`` signs the body and writes the audit entry before the response leaves;
``Refusal`` is how a route says no (status and rule). ``AuditLog`` is the hash-chained
log (``append``, ``verify``, ``for_subject``; ``Broken`` names the first broken entry),
``audit_verdict`` its one check under the pinned hub root (``AuditVerdict``: intact,
unanchored, unpinned or broken; `audit verify` and the console) and ``anchor_now`` the
anchor it checks (`audit anchor`), ``Hub`` what a process holds
(``request.app.state.hub``), ``load_share_catalog`` the share catalog of resources.
"""

import importlib
from typing import TYPE_CHECKING, Any

# The public names load on first use (PEP 562): FastAPI takes a second to import, and
# `tongban` mounts this package's CLI for every command.
_WHERE = {
    "create_app": "app", "AuditEntry": "audit", "AuditLog": "audit",
    "AuditVerdict": "verdict", "audit_verdict": "verdict", "anchor_now": "anchor",
    "Broken": "audit", "ChainReport": "audit", "load_share_catalog": "catalog",
    "Client": "clients", "ClientRegistry": "clients", "Access": "deps", "Purpose": "deps",
    "answer": "deps", "authenticated_client": "deps", "get_hub": "deps",
    "request_access": "deps", "stated_purpose": "deps", "Problem": "errors",
    "Refusal": "errors", "Grant": "grants", "GrantRegistry": "grants", "Hub": "hub",
    "ExchangeSettings": "settings", "load_exchange_settings": "settings",
}  # fmt: skip

if TYPE_CHECKING:
    from exchange.anchor import anchor_now
    from exchange.app import create_app
    from exchange.audit import AuditEntry, AuditLog, Broken, ChainReport
    from exchange.catalog import load_share_catalog
    from exchange.clients import Client, ClientRegistry
    from exchange.deps import (
        Access,
        Purpose,
        answer,
        authenticated_client,
        get_hub,
        request_access,
        stated_purpose,
    )
    from exchange.errors import Problem, Refusal
    from exchange.grants import Grant, GrantRegistry
    from exchange.hub import Hub
    from exchange.settings import ExchangeSettings, load_exchange_settings
    from exchange.verdict import AuditVerdict, audit_verdict


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'exchange' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"exchange.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Access",
    "AuditEntry",
    "AuditLog",
    "AuditVerdict",
    "Broken",
    "ChainReport",
    "Client",
    "ClientRegistry",
    "ExchangeSettings",
    "Grant",
    "GrantRegistry",
    "Hub",
    "Problem",
    "Purpose",
    "Refusal",
    "anchor_now",
    "answer",
    "audit_verdict",
    "authenticated_client",
    "create_app",
    "get_hub",
    "load_exchange_settings",
    "load_share_catalog",
    "request_access",
    "stated_purpose",
]
