"""不动产登记 registry stand-in: a SOAP 1.1 service (document/literal, wrapped) answering
in GB18030, paged by an opaque continuation token.

``GET /bdcdj/titles?wsdl`` serves the static WSDL (package data ``realestate.wsdl``);
``POST /bdcdj/titles`` answers ``QueryChangedTitles(changedSince, pageSize, continuation)``
with the titles whose ``BGSJ >= changedSince`` in (BGSJ, index) order. Each answer that
is not the last carries ``nextContinuation``, a token the next request sends back as
``continuation``; there are no page numbers. Many titles share a change time, so page
boundaries fall inside runs of equal times. Each title lists its holders as repeated
``QLRLIST/QLR`` elements (:mod:`sandbox.titles`).

Requests carry a WS-Security ``UsernameToken`` (PasswordText or PasswordDigest), else
HTTP 500 with ``wsse:FailedAuthentication``. Every response, faults included, is
GB18030-encoded. ``pace`` makes each answer wait that many seconds.

    >>> with RealEstateServer(World(), DirtRates(), username="u", password="p") as srv:
    ...     srv.wsdl_url                                       # doctest: +SKIP
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from lxml import etree

from sandbox._soap import SoapFault, SoapOperation, SoapServer, SoapService, WsseCredentials
from sandbox.dirt import DirtRates
from sandbox.titles import SOURCE, title_count, title_record
from sandbox.world import World

__all__ = ["NS", "RealEstateServer"]

NS = "http://zrzy.example.gov.cn/bdcdj/v1"
SOAP_ACTION = f"{NS}/QueryChangedTitles"
_TITLE_FIELDS = (
    "YWH", "BDCQZH", "BDCDYH", "ZL", "YT", "MJ", "QLLX", "GYQK", "DJJG", "DJJGDM", "QXDM",
    "DBSJ", "QSZT", "BGSJ",
)  # fmt: skip
_HOLDER_FIELDS = ("QLRMC", "ZJZL", "ZJHM", "GYFS", "QLBL")


_OPERATION = SoapOperation("/bdcdj/titles", "realestate.wsdl", NS, "QueryChangedTitles", "GB18030")


def wsdl_text() -> bytes:
    return _OPERATION.wsdl()


class _Titles(SoapService):
    def __init__(
        self, world: World, dirt: DirtRates, credentials: WsseCredentials, pace: float = 0.0
    ) -> None:
        super().__init__(_OPERATION, credentials)
        self.world, self.dirt, self.pace = world, dirt, pace
        self.timeline = world.timeline(SOURCE, title_count(world))
        self.title: Callable[[int], dict[str, Any]] = cache(
            lambda i: title_record(world, dirt, i)[0]
        )

    def answer(self, request: etree._Element) -> bytes:
        size = self.page_size(request)
        token = self.text(request, "continuation")
        if token:
            start = _resume(token)
        else:
            since = self.changed_since(request)
            start = self.timeline.position_since(since) if since else 0
        order = self.timeline.order
        end = min(start + size, len(order))
        if self.pace:
            time.sleep(self.pace)  # a slow registry (to kill a sync part way)
        return self._response(order[start:end], _token(end) if end < len(order) else None)

    def _response(self, page: list[int], nxt: str | None) -> bytes:
        response = self.response()
        titles = etree.SubElement(response, f"{{{NS}}}titles")
        for i in page:
            raw = self.title(i)
            title = etree.SubElement(titles, f"{{{NS}}}title")
            for name in _TITLE_FIELDS:
                etree.SubElement(title, f"{{{NS}}}{name}").text = raw[name]
            if "QLRLIST" in raw:
                holders = etree.SubElement(title, f"{{{NS}}}QLRLIST")
                for holder in raw["QLRLIST"]["QLR"]:
                    qlr = etree.SubElement(holders, f"{{{NS}}}QLR")
                    for name in _HOLDER_FIELDS:
                        if holder[name] is not None:
                            etree.SubElement(qlr, f"{{{NS}}}{name}").text = holder[name]
        return self.serialize(response, nxt)


def _token(position: int) -> str:
    text = json.dumps({"at": position, "of": SOURCE}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _resume(token: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        position = int(data["at"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise SoapFault(500, "soap:Client", f"续查令牌无法识别：{token[:40]!r}") from None
    if position < 0 or data.get("of") != SOURCE:
        raise SoapFault(500, "soap:Client", f"续查令牌无法识别：{token[:40]!r}")
    return position


class RealEstateServer(SoapServer):
    """The SOAP real-estate registry on a loopback port (``port=0``: a free one)."""

    def __init__(
        self,
        world: World,
        dirt: DirtRates,
        *,
        username: str,
        password: str,
        pace: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        titles = _Titles(world, dirt, WsseCredentials(username, password), pace)
        super().__init__(titles, host=host, port=port)
