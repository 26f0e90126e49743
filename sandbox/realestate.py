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
from typing import Any

from lxml import etree

from sandbox._soap import (
    SOAP_ENV,
    SoapFault,
    SoapServer,
    SoapService,
    WsseCredentials,
    changed_since,
)
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


def wsdl_text() -> bytes:
    return _Titles.wsdl()


class _Titles(SoapService):
    path = "/bdcdj/titles"
    wsdl_file = "realestate.wsdl"
    action = SOAP_ACTION
    encoding = "GB18030"

    def __init__(
        self, world: World, dirt: DirtRates, credentials: WsseCredentials, pace: float = 0.0
    ) -> None:
        super().__init__(credentials)
        self.world, self.dirt, self.pace = world, dirt, pace
        self.count = title_count(world)
        self.timeline = world.timeline(SOURCE, self.count)
        self._cache: dict[int, dict[str, Any]] = {}

    def title(self, i: int) -> dict[str, Any]:
        found = self._cache.get(i)
        if found is None:
            found = self._cache[i] = title_record(self.world, self.dirt, i)[0]
        return found

    def answer(self, envelope: etree._Element) -> bytes:
        request = envelope.find(f"{{{SOAP_ENV}}}Body/{{{NS}}}QueryChangedTitles")
        if request is None:
            raise SoapFault(500, "soap:Client", "请求体缺少 QueryChangedTitles 元素")
        size_text = (request.findtext(f"{{{NS}}}pageSize") or "").strip()
        if not size_text.isdigit() or not 1 <= int(size_text) <= 1000:
            raise SoapFault(
                500, "soap:Client", f"pageSize 必须在 1 到 1000 之间，收到 {size_text!r}"
            )
        token = (request.findtext(f"{{{NS}}}continuation") or "").strip()
        if token:
            start = _resume(token)
        else:
            since = changed_since(request, NS)
            start = self.timeline.position_since(since) if since else 0
        order = self.timeline.order
        end = min(start + int(size_text), len(order))
        if self.pace:
            time.sleep(self.pace)  # a slow registry (to kill a sync part way)
        return self._response(order[start:end], _token(end) if end < len(order) else None)

    def _response(self, page: list[int], nxt: str | None) -> bytes:
        env, body = self.envelope(NS)
        response = etree.SubElement(body, f"{{{NS}}}QueryChangedTitlesResponse")
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
        if nxt is not None:
            etree.SubElement(response, f"{{{NS}}}nextContinuation").text = nxt
        return self.serialize(env)


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
