"""SOAP connector (zeep): WSDL fetched over HTTP and cached, connect and operation
timeouts, WS-Security UsernameToken, the endpoint the WSDL advertises overridden (they
often name an internal host), and a paged "changed since" operation.

Errors are classified here: a SOAP fault about authentication, or a client fault, is
fatal and carries the fault string; server faults, HTTP 5xx, timeouts and refused
connections are retriable. Responses in any encoding the XML declares (GBK included)
are decoded by the XML parser.

Cursor: ``{"since": S, "next": page number or None, "high_water": H}``, as for REST.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import requests
from zeep import Client, Settings, Transport
from zeep.cache import InMemoryCache, SqliteCache
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken

from connectors.base import Page, call_with_retries
from connectors.definition import SoapTransport
from connectors.rest import dig
from tongban.errors import FatalError, RetriableError

__all__ = ["SoapConnector"]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    """zeep objects to plain dicts and lists; change times to ISO strings."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class SoapConnector:
    def __init__(
        self,
        name: str,
        transport: SoapTransport,
        *,
        record_id: str | None,
        secrets: Mapping[str, str],
        cache_dir: Path | None = None,
    ):
        self.name, self.t, self.record_id = name, transport, record_id
        self._session = requests.Session()
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
        cache = (
            SqliteCache(path=str(cache_dir / "wsdl.sqlite"), timeout=24 * 3600)
            if cache_dir is not None
            else InMemoryCache()
        )
        self._zeep_transport = Transport(
            session=self._session,
            cache=cache,
            timeout=transport.timeout.connect + transport.timeout.read,
            operation_timeout=transport.timeout.read,
        )
        auth = transport.auth
        self._wsse = (
            UsernameToken(auth.username, secrets[auth.password_env], use_digest=auth.digest)
            if auth is not None
            else None
        )
        self._service: Any = None

    def close(self) -> None:
        self._session.close()

    def _connect(self) -> Any:
        """Fetch the WSDL (or take it from the cache) and bind the operation's service."""
        try:
            client = Client(
                self.t.wsdl,
                transport=self._zeep_transport,
                wsse=self._wsse,
                settings=Settings(strict=False, xml_huge_tree=True),
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetriableError(f"{self.name}: cannot fetch WSDL {self.t.wsdl}: {exc}") from exc
        except TransportError as exc:
            raise _transport_error(self.name, exc, what=f"WSDL {self.t.wsdl}") from exc
        except ZeepError as exc:
            raise FatalError(f"{self.name}: WSDL {self.t.wsdl} is not usable: {exc}") from exc
        if self.t.endpoint:
            binding = client.service._binding  # the default port's binding
            return client.create_service(str(binding.name), self.t.endpoint)
        return client.service

    def _call(self, params: dict[str, Any]) -> Any:
        if self._service is None:
            self._service = self._connect()
        try:
            operation = getattr(self._service, self.t.operation)
        except AttributeError:
            raise FatalError(
                f"{self.name}: the WSDL has no operation {self.t.operation!r}"
            ) from None
        try:
            return operation(**params)
        except Fault as fault:
            raise _fault_error(self.name, fault) from fault
        except TransportError as exc:
            raise _transport_error(self.name, exc, what=self.t.operation) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetriableError(
                f"{self.name}: {type(exc).__name__} calling {self.t.operation}"
            ) from exc

    def pages(self, cursor: Any) -> Iterator[Page]:
        t = self.t
        state = dict(cursor or {})
        if state.get("next") is None:
            since = state.get("high_water") or t.initial_since
            state = {"since": since, "next": t.first_page, "high_water": state.get("high_water")}
        while True:
            page_no = state["next"]
            params = {
                t.since_param: datetime.fromisoformat(state["since"]),
                t.page_param: page_no,
                t.size_param: t.page_size,
            }
            response = _plain(
                serialize_object(
                    call_with_retries(
                        partial(self._call, params), t.retry, what=f"{self.name} {t.operation}"
                    ),
                    dict,
                )
            )
            items = dig(response, t.records_path) or []
            if isinstance(items, Mapping):
                items = [items]
            high = state["high_water"]
            records = []
            for item in items:
                ident = item.get(self.record_id)
                records.append((None if ident is None else str(ident), item))
                changed = _iso(item.get(t.change_field))
                if changed and (high is None or _later(changed, high)):
                    high = changed
            if t.total_path is not None:
                total = dig(response, t.total_path)
                seen = (page_no - t.first_page + 1) * t.page_size
                more = total is not None and seen < int(total) and len(items) > 0
            else:
                more = len(items) >= t.page_size
            state = {"since": state["since"], "next": page_no + 1 if more else None,
                     "high_water": high}  # fmt: skip
            yield Page(records, dict(state))
            if not more:
                return


def _later(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) > datetime.fromisoformat(b)
    except ValueError:
        return a > b


def _fault_error(name: str, fault: Fault) -> Exception:
    code = str(fault.code or "")
    message = f"{name}: SOAP fault {code}: {fault.message}"
    if code.split(":")[-1] in ("Server", "Receiver", "ServiceUnavailable"):
        return RetriableError(message)
    return FatalError(message)


def _transport_error(name: str, exc: TransportError, *, what: str) -> Exception:
    status = getattr(exc, "status_code", 0) or 0
    message = f"{name}: HTTP {status} for {what}"
    if status == 429 or status >= 500:
        return RetriableError(message)
    return FatalError(message)
