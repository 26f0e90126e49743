"""SOAP connector (zeep): WSDL fetched over HTTP and cached, connect and operation
timeouts, WS-Security UsernameToken, the endpoint the WSDL advertises overridden (they
often name an internal host), and a paged "changed since" operation.

Errors are classified where they enter (:mod:`connectors._soap_errors`): a SOAP fault
about authentication, or a client fault, is fatal and carries the fault string; server
faults, HTTP 5xx (with a SOAP fault or any other body), a response cut off part way,
timeouts and refused connections are retriable. The WSDL is cached (under
``cache_dir/wsdl``, :mod:`connectors._wsdl_cache`) only once it parsed and bound the
service; a cached copy that does not is dropped and fetched again. Responses in any
encoding the XML declares (GBK included) are decoded by the XML parser.

Cursor: ``{"since": S, "next": page number or None, "high_water": H}``, as for REST.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import requests
import urllib3
from lxml import etree
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken

from connectors._documents import dig
from connectors._soap_errors import NotXml, StatusTransport, fault_error, transport_error
from connectors._wsdl_cache import WsdlCache
from connectors.base import Page, call_with_retries, check_source_paths
from connectors.definition import SoapTransport
from connectors.paths import parse_path
from tongban.errors import FatalError, RetriableError

__all__ = ["SoapConnector"]

log = logging.getLogger(__name__)


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
        source_fields: Mapping[str, str] | None = None,
    ):
        self.name, self.t, self.record_id = name, transport, record_id
        self.source_fields = dict(source_fields or {})
        self._session = requests.Session()
        self._cache = WsdlCache(cache_dir / "wsdl" if cache_dir is not None else None)
        self._zeep_transport = StatusTransport(
            session=self._session,
            cache=self._cache,
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
        self._client: Any = None

    def close(self) -> None:
        self._session.close()

    def _connect(self) -> Any:
        """Fetch the WSDL (or take it from the cache) and bind the operation's service.

        A cached WSDL that does not parse or defines no service is dropped and fetched
        again; a fetched one is cached only once it parsed and bound. One that does not
        is retriable (a gateway's error page served once in its place)."""
        while True:
            try:
                service = self._bind()
            except RetriableError as exc:
                if self._cache.drop():
                    log.warning("%s: the cached WSDL is unusable, fetching it again: %s",
                                self.name, exc)  # fmt: skip
                    continue
                raise
            except BaseException:
                self._cache.drop()
                raise
            self._cache.keep()
            self._check_mapping(self._client)  # a usable WSDL: kept, whatever this says
            return service

    def _bind(self) -> Any:
        wsdl = self.t.wsdl
        try:
            client = Client(
                wsdl,
                transport=self._zeep_transport,
                wsse=self._wsse,
                settings=Settings(strict=False, xml_huge_tree=True),
            )
            if self.t.endpoint:
                binding = client.service._binding  # the default port's binding
                service = client.create_service(str(binding.name), self.t.endpoint)
            else:
                service = client.service
        except TransportError as exc:
            raise transport_error(self.name, exc, what=f"WSDL {wsdl}") from exc
        except requests.HTTPError as exc:  # zeep fetches the WSDL with raise_for_status()
            status = exc.response.status_code if exc.response is not None else 0
            message = f"{self.name}: HTTP {status} fetching WSDL {wsdl}"
            if status == 429 or status >= 500:
                raise RetriableError(message) from exc
            raise FatalError(message) from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise RetriableError(
                f"{self.name}: cannot fetch WSDL {wsdl}: {type(exc).__name__}"
            ) from exc
        except (ZeepError, ValueError, LookupError, etree.LxmlError) as exc:
            raise RetriableError(
                f"{self.name}: WSDL {wsdl} is not usable ({type(exc).__name__}: {exc})"
            ) from exc
        try:
            getattr(service, self.t.operation)
        except AttributeError:
            raise FatalError(
                f"{self.name}: the WSDL {wsdl} has no operation {self.t.operation!r}"
            ) from None
        self._client = client
        return service

    def _check_mapping(self, client: Any) -> None:
        """Refuse a mapping that reads a field the WSDL's record type does not have, along
        nested types too (``QLRLIST.QLR[*].ZJHM``), naming the nearest real one. Types
        zeep cannot walk (xsd:any, choices) are not checked."""
        if not self.source_fields:
            return
        try:
            binding = client.service._binding
            element = binding._operations[self.t.operation].output.body
            kind = element.type
            for step in parse_path(self.t.records_path):
                if isinstance(step, str):
                    kind = dict(kind.elements)[step].type
            tree = _schema_tree(kind)
        except (AttributeError, KeyError, TypeError, ValueError):
            return
        if tree is None:
            return
        record = [s for s in parse_path(self.t.records_path) if isinstance(s, str)][-1]
        check_source_paths(
            self.name, self.source_fields, tree, f"the WSDL's {record} records"
        )  # fmt: skip

    def _call(self, params: dict[str, Any]) -> Any:
        if self._service is None:
            self._service = self._connect()
        operation = getattr(self._service, self.t.operation)
        try:
            return operation(**params)
        except NotXml as exc:
            message = (
                f"{self.name}: HTTP {exc.status} for {self.t.operation} with a body that is not"
                f" whole XML (cut off, or an error page): {exc}"
            )
            retry = exc.status in (200, 429) or exc.status >= 500
            raise (RetriableError(message) if retry else FatalError(message)) from None
        except Fault as fault:
            raise fault_error(self.name, fault, self._zeep_transport.last_status) from fault
        except TransportError as exc:
            raise transport_error(self.name, exc, what=self.t.operation) from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            # refused, timed out, or the body cut off (ChunkedEncodingError): try again
            raise RetriableError(
                f"{self.name}: {type(exc).__name__} calling {self.t.operation}: {exc}"
            ) from exc
        except etree.LxmlError as exc:
            raise RetriableError(
                f"{self.name}: the response to {self.t.operation} is not readable XML: {exc}"
            ) from exc

    def pages(self, cursor: Any) -> Iterator[Page]:
        if self.t.continuation is not None:
            yield from self._token_pages(cursor)
            return
        t = self.t
        state = dict(cursor or {})
        if state.get("next") is None:
            since = state.get("high_water") or t.initial_since
            state = {"since": since, "next": t.first_page, "high_water": state.get("high_water")}
        while True:
            page_no = state["next"]
            assert t.page_param is not None  # or continuation (the model checks one is set)
            params = {
                t.since_param: datetime.fromisoformat(state["since"]),
                t.page_param: page_no,
                t.size_param: t.page_size,
            }
            response = self._page(params)
            records, high, n = self._records(response, state["high_water"])
            if t.total_path is not None:
                total = dig(response, t.total_path)
                seen = (page_no - t.first_page + 1) * t.page_size
                more = total is not None and seen < int(total) and n > 0
            else:
                more = n >= t.page_size
            state = {"since": state["since"], "next": page_no + 1 if more else None,
                     "high_water": high}  # fmt: skip
            yield Page(records, dict(state))
            if not more:
                return

    def _token_pages(self, cursor: Any) -> Iterator[Page]:
        """Pages by the continuation token each response carries (``next`` in the cursor
        is the token of the next page; None starts a pass). A page without a token is the
        last; a token given twice in a pass stops the run."""
        t = self.t
        token_of = t.continuation
        assert token_of is not None
        state = dict(cursor or {})
        if state.get("next") is None:
            since = state.get("high_water") or t.initial_since
            state = {"since": since, "next": None, "high_water": state.get("high_water")}
        seen = {state["next"]} if state["next"] else set()
        while True:
            params: dict[str, Any] = {
                t.since_param: datetime.fromisoformat(state["since"]),
                t.size_param: t.page_size,
            }
            if state["next"]:
                params[token_of.param] = state["next"]
            response = self._page(params)
            records, high, n = self._records(response, state["high_water"])
            token = dig(response, token_of.next_path)
            token = None if token in (None, "") or n == 0 else str(token)
            if token is not None and token in seen:
                raise FatalError(
                    f"{self.name}: {t.operation} gave the continuation token {token[:40]!r} a"
                    " second time in this pass; the system pages in a loop, stopping"
                )
            if token is not None:
                seen.add(token)
            state = {"since": state["since"], "next": token, "high_water": high}
            yield Page(records, dict(state))
            if token is None:
                return

    def _page(self, params: dict[str, Any]) -> Any:
        t = self.t
        answer = call_with_retries(
            partial(self._call, params), t.retry, what=f"{self.name} {t.operation}"
        )
        return _plain(serialize_object(answer, dict))

    def _records(self, response: Any, high: str | None) -> tuple[list[Any], str | None, int]:
        """The page's records with their ids, the latest change time seen, the count."""
        t = self.t
        items = dig(response, t.records_path) or []
        if isinstance(items, Mapping):
            items = [items]
        records = []
        for item in items:
            ident = item.get(self.record_id)
            records.append((None if ident is None else str(ident), item))
            changed = _iso(item.get(t.change_field))
            if changed and (high is None or _later(changed, high)):
                high = changed
        return records, high, len(items)


def _schema_tree(kind: Any, depth: int = 8) -> dict[str, Any] | None:
    """A zeep complex type's fields, nested (None: a plain value, or past ``depth``)."""
    elements = getattr(kind, "elements", None)
    if not elements or depth == 0:
        return None
    return {name: _schema_tree(element.type, depth - 1) for name, element in elements}


def _later(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) > datetime.fromisoformat(b)
    except ValueError:
        return a > b
