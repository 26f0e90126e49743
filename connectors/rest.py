"""REST connector: a requests session, pluggable auth, cursor/page/offset/Link paging
(each also inside time windows, ``connectors._windows``), retries that honour
``Retry-After``, and incremental pulls by a change-time field.

Errors are classified here: connection failures, timeouts, 429 and 5xx are retriable;
401/403 (wrong key or signature) and other 4xx are fatal, with the system's own message.

Cursor (stored with each page): ``{"since": S, "next": N, "high_water": H}`` — ``since``
is the change time this pass asks from, ``next`` the system's cursor, page or offset of
the next page (None once the pass is complete), ``high_water`` the latest change time
seen, where the next pass starts (inclusive: records changed at exactly that instant are
read again and merge as unchanged).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import msgspec
import requests
import urllib3
from requests.adapters import HTTPAdapter

from connectors._documents import cursor_key, describe, dig, lookup, short
from connectors._rest_schema import check_rest_mapping
from connectors.auth import ApiKey, Bearer, HmacSigner
from connectors.base import Page, call_with_retries
from connectors.definition import ApiKeyAuth, BearerAuth, HmacAuth, RestTransport
from connectors.paging import (
    CursorPagination,
    LinkPagination,
    OffsetPagination,
    PagePagination,
    WindowPagination,
)
from tongban.errors import FatalError, RetriableError

# Pages are decoded by msgspec: the same JSON, parsed about twice as fast as json.loads.
_decode = msgspec.json.Decoder().decode

__all__ = ["RestConnector", "dig"]


def _retry_after(response: requests.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _latest(high: str | None, stamps: set[Any]) -> str | None:
    """The latest of ``high`` and a page's change times, each distinct one parsed once
    (ISO 8601; text order when they are not all comparable times)."""
    texts = [str(s) for s in stamps if s is not None]
    if high is not None:
        texts.append(high)
    if not texts:
        return None
    try:
        return max(texts, key=datetime.fromisoformat)
    except (TypeError, ValueError):
        return max(texts)


class RestConnector:
    def __init__(
        self,
        name: str,
        transport: RestTransport,
        *,
        record_id: str | None,
        secrets: Mapping[str, str],
        session: requests.Session | None = None,
        source_fields: Mapping[str, str] | None = None,
    ):
        self.name, self.t, self.record_id = name, transport, record_id
        self.source_fields = dict(source_fields or {})
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=4, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Accept"] = "application/json"
        self.session.auth = _auth(transport, secrets)
        self.url = transport.base_url.rstrip("/") + "/" + transport.path.lstrip("/")
        self._next_link: str | None = None

    def close(self) -> None:
        self.session.close()

    # -- one call ---------------------------------------------------------------------

    def _get(self, params: dict[str, Any], url: str | None = None) -> Any:
        t = self.t
        try:
            response = self.session.get(
                url or self.url, params=params, timeout=(t.timeout.connect, t.timeout.read),
                stream=True,
            )  # fmt: skip
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetriableError(f"{self.name}: {type(exc).__name__} calling {self.url}") from exc
        try:
            document = self._document(response)
        except BaseException:
            response.close()  # an error body was read whole (back to the pool); else closed
            raise
        response.raw.release_conn()  # read whole: the connection goes back to the pool
        link = response.links.get("next", {}).get("url")
        self._next_link = urljoin(response.url, link) if link else None
        return document

    def _document(self, response: requests.Response) -> Any:
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetriableError(
                f"{self.name}: HTTP {status} from {self.url}: {_brief(response)}",
                retry_after=_retry_after(response),
            )
        if status in (401, 403):
            raise FatalError(
                f"{self.name}: HTTP {status}, the system refused our credentials:"
                f" {_brief(response)}"
            )
        if status >= 400:
            raise FatalError(f"{self.name}: HTTP {status} from {self.url}: {_brief(response)}")
        try:
            body = _body(response)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise RetriableError(
                f"{self.name}: the response from {self.url} broke off: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            return _decode(body)
        except (ValueError, msgspec.DecodeError) as exc:
            try:  # JSON that msgspec refuses and Python reads: a lone surrogate (\ud800)
                return json.loads(body)
            except ValueError:
                pass
            raise RetriableError(
                f"{self.name}: the response from {self.url} is not JSON: {exc}"
            ) from exc

    def fetch(self, params: dict[str, Any], url: str | None = None) -> Any:
        return call_with_retries(
            lambda: self._get(params, url), self.t.retry, what=f"{self.name} GET {self.t.path}"
        )

    # -- pages ------------------------------------------------------------------------

    def pages(self, cursor: Any) -> Iterator[Page]:
        if self.source_fields:  # checked once, before any record is read
            check_rest_mapping(self.name, self.t, self.session, self.source_fields)
            self.source_fields = {}
        pg = self.t.pagination
        if isinstance(pg, WindowPagination):
            from connectors._windows import window_pages

            yield from window_pages(self, pg, cursor)
            return
        state = dict(cursor or {})
        if state.get("next") is None:  # a new pass from the last high-water mark
            state = {"since": state.get("high_water"), "next": None,
                     "high_water": state.get("high_water")}  # fmt: skip
        t = self.t
        params: dict[str, Any] = dict(t.params)
        if t.incremental and state["since"]:
            params[t.incremental.param] = state["since"]
        for records, items, nxt in self.walk(pg, params, state["next"]):
            high = state["high_water"]
            if t.incremental:
                high = _latest(high, {item.get(t.incremental.field) for item in items})
            state = {"since": state["since"], "next": nxt, "high_water": high}
            yield Page(records, dict(state))

    def walk(
        self, pg: Any, query: Mapping[str, Any], position: Any
    ) -> Iterator[tuple[list[tuple[str | None, Mapping[str, Any]]], list[Any], Any]]:
        """The pages of one query (``query``: its parameters) by the system's own paging,
        from ``position`` (None: the first page): each page's records with their ids, its
        raw items, and the position of the next page (None after the last)."""
        first = position is None
        seen: set[str] = set()  # cursors this pass was given, to stop a loop
        if not first:
            seen.add(cursor_key(position))
        rid = self.record_id or ""
        while True:
            params: dict[str, Any] = dict(query)
            url = None
            if isinstance(pg, LinkPagination):
                if first:
                    params[pg.limit_param] = pg.limit
                else:  # the next page's URL carries every parameter itself
                    params, url = {}, position
            elif isinstance(pg, CursorPagination):
                params[pg.limit_param] = pg.limit
                if not first:
                    params[pg.cursor_param] = position
            elif isinstance(pg, PagePagination):
                params[pg.page_param] = pg.first_page if first else position
                params[pg.size_param] = pg.size
            else:
                params[pg.offset_param] = 0 if first else position
                params[pg.limit_param] = pg.limit
            document = self.fetch(params, url)
            items = self._items(document)
            records = [
                (None if (ident := item.get(rid)) is None else str(ident), item) for item in items
            ]
            nxt = self._next(pg, document, position, first, len(items), seen)
            yield records, items, nxt
            if nxt is None:
                return
            position, first = nxt, False

    def _items(self, document: Any) -> list[Mapping[str, Any]]:
        """The page's records, or :class:`FatalError` naming the URL and what came."""
        path = self.t.records_path
        if path:
            if not isinstance(document, Mapping):
                raise FatalError(
                    f"{self.name}: GET {self.url} answered {describe(document)}, not a JSON object"
                    f" holding {path!r}"
                )
            found, items = lookup(document, path)
            if not found:
                raise FatalError(
                    f"{self.name}: GET {self.url} answered an object without {path!r}"
                    f" (its keys: {', '.join(map(str, document)) or 'none'})"
                )
        else:
            items = document
        if items is None:
            return []
        if not isinstance(items, list):
            raise FatalError(
                f"{self.name}: GET {self.url}: {path or 'the body'} is {describe(items)},"
                " not a list of records"
            )
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise FatalError(
                    f"{self.name}: GET {self.url}: record {i} of the page is {describe(item)},"
                    " not a JSON object"
                )
        return items

    def _next(
        self, pg: Any, document: Any, position: Any, first: bool, n: int, seen: set[str]
    ) -> Any:
        if isinstance(pg, CursorPagination):
            return self._next_cursor(pg, document, n, seen)
        if isinstance(pg, LinkPagination):
            link = self._next_link
            if link is None or n == 0:
                return None  # no rel="next" link: the last page
            if cursor_key(link) in seen:
                raise FatalError(
                    f"{self.name}: GET {self.url} gave the next link {short(link)} a second"
                    " time in this pass; the system pages in a loop, stopping"
                )
            seen.add(cursor_key(link))
            return link
        if isinstance(pg, PagePagination):
            current = pg.first_page if first else position
            return current + 1 if n >= pg.size else None
        assert isinstance(pg, OffsetPagination)
        current = 0 if first else position
        return current + n if n >= pg.limit else None

    def _next_cursor(self, pg: CursorPagination, document: Any, n: int, seen: set[str]) -> Any:
        """The cursor of the next page; None after the last page by the definition's rule.
        A page that is not the last and names no next cursor, or names one this pass was
        given before, stops the run: ending there would lose the rest, going on would
        loop."""
        found, value = lookup(document, pg.next_cursor_path)
        missing = value is None or value == ""
        rule = pg.last_page
        if n == 0:
            return None  # nothing more to read
        if rule == "null_cursor":
            last = found and missing
        elif rule == "short":
            last = n < pg.limit
        elif rule == "has_more":
            last = dig(document, pg.has_more_path) is False
        else:
            last = False
        if last:
            return None
        if missing:
            said = "gives it as null" if found else "has no such field"
            keys = ", ".join(map(str, document)) if isinstance(document, Mapping) else ""
            raise FatalError(
                f"{self.name}: a page of {n} records from GET {self.url} names no next cursor"
                f" ({pg.next_cursor_path!r} {said}; the page's keys: {keys}), and it is not the"
                f" last page by the definition's rule (last_page: {rule}); stopping rather"
                " than ending the pass early"
            )
        key = cursor_key(value)
        if key in seen:
            raise FatalError(
                f"{self.name}: GET {self.url} gave the cursor {short(key)} a second time in"
                " this pass; the system pages in a loop, stopping"
            )
        seen.add(key)
        return value


def _body(response: requests.Response) -> bytes:
    """The whole body of a streamed response, read in one call (``Response.content``
    reads ten kilobytes at a time through three layers: about half the CPU a page of
    1,000 records costs before decoding). A body shorter than its Content-Length raises."""
    return bytes(response.raw.read(decode_content=True))


def _brief(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason
    if isinstance(body, Mapping):
        parts = [str(body[k]) for k in ("error", "code", "message", "msg") if body.get(k)]
        if parts:
            return " ".join(parts)
    return json.dumps(body, ensure_ascii=False)[:200]


def _auth(transport: RestTransport, secrets: Mapping[str, str]) -> Any:
    auth = transport.auth
    if isinstance(auth, BearerAuth):
        return Bearer(secrets[auth.token_env])
    if isinstance(auth, ApiKeyAuth):
        return ApiKey(auth.header, secrets[auth.key_env])
    if isinstance(auth, HmacAuth):
        return HmacSigner(
            auth.app_key,
            secrets[auth.secret_env],
            algorithm=auth.algorithm,
            key_header=auth.key_header,
            timestamp_header=auth.timestamp_header,
            signature_header=auth.signature_header,
        )
    return None
