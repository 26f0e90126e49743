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
log (``append``, ``verify``, ``for_subject``), ``Hub`` what a process holds
(``request.app.state.hub``).
"""

from exchange.app import create_app
from exchange.audit import AuditEntry, AuditLog, ChainReport
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

__all__ = [
    "Access",
    "AuditEntry",
    "AuditLog",
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
    "answer",
    "authenticated_client",
    "create_app",
    "get_hub",
    "load_exchange_settings",
    "request_access",
    "stated_purpose",
]
