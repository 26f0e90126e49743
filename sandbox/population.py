"""公安人口库 stand-in: a SOAP 1.1 service (document/literal, wrapped) answering in GBK.

``GET /population?wsdl`` serves the static WSDL (package data ``population.wsdl``), whose
``soap:address`` advertises the registry's internal host, as real WSDLs do.
``POST /population`` answers ``QueryChangedPersons(changedSince, pageNo, pageSize)`` with
the persons whose ``bgsj >= changedSince``, ordered by (bgsj, recordId), page *pageNo*.

Requests must carry a WS-Security ``UsernameToken`` (PasswordText or PasswordDigest =
Base64(SHA-1(nonce + created + password))); otherwise HTTP 500 with the fault
``wsse:FailedAuthentication``. A ``changedSince`` without an offset is read as Beijing
time (+08:00), as the registry's own clients send it. Every response, faults included,
is GBK-encoded. ``fail_after_pages=N`` makes any page beyond N answer HTTP 503.

A client may page by continuation token instead of page number: every page that is not
the last carries an opaque ``nextContinuation``, and a request that sends it back as
``continuation`` (with no ``pageNo``) gets the page after it.

    >>> with PopulationServer(World(), DirtRates(), username="u", password="p") as srv:
    ...     srv.url + "/population?wsdl"                       # doctest: +SKIP
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import cache

from lxml import etree

from sandbox._soap import (
    SOAP_ENV,
    WSSE,
    WSU,
    SoapFault,
    SoapOperation,
    SoapServer,
    SoapService,
    WsseCredentials,
)
from sandbox.dirt import DirtRates
from sandbox.sources import population_person
from sandbox.world import World

__all__ = ["NS", "SOAP_ACTION", "SOAP_ENV", "WSSE", "WSU", "PopulationServer", "wsdl_text"]

NS = "http://gongan.example.gov.cn/population/v1"
SOAP_ACTION = f"{NS}/QueryChangedPersons"
_PERSON_FIELDS = ("recordId", "sfzh", "xm", "xb", "csrq", "mz", "zz", "lxdh", "hyzk", "bgsj")


_OPERATION = SoapOperation("/population", "population.wsdl", NS, "QueryChangedPersons", "GBK")


def wsdl_text() -> bytes:
    return _OPERATION.wsdl()


class _Registry(SoapService):
    def __init__(
        self,
        world: World,
        dirt: DirtRates,
        credentials: WsseCredentials,
        fail_after_pages: int | None,
    ) -> None:
        super().__init__(_OPERATION, credentials)
        self.world, self.dirt, self.fail_after_pages = world, dirt, fail_after_pages
        self.timeline = world.timeline("gongan_population", world.people)
        self.person: Callable[[int], dict[str, str]] = cache(
            lambda i: population_person(world, dirt, i)[0]
        )

    def answer(self, request: etree._Element) -> bytes:
        token = self.text(request, "continuation")
        resumed = _continued(token) if token else None
        if resumed:
            page_no = resumed[1]
        elif request.find(f"{{{NS}}}pageNo") is None:  # a first page asked for by token
            page_no = 1
        else:
            page_no = self.integer(request, "pageNo")
        page_size = self.page_size(request)
        if page_no < 1:
            raise SoapFault(500, "soap:Client", f"pageNo 从 1 开始，收到 {page_no}")
        if self.fail_after_pages is not None and page_no > self.fail_after_pages:
            raise SoapFault(503, "soap:Server", "服务暂不可用，请稍后重试")
        since = self.changed_since(request)
        start = self.timeline.position_since(since) if since else 0
        order = self.timeline.order
        first = resumed[0] if resumed else start + (page_no - 1) * page_size
        end = min(first + page_size, len(order))
        page = order[first:end]
        nxt = _continuation(end, page_no + 1) if end < len(order) else None
        return self._response(len(order) - start, page_no, page_size, page, nxt)

    def _response(
        self, total: int, page_no: int, page_size: int, page: list[int], nxt: str | None
    ) -> bytes:
        response = self.response()
        for name, value in (("totalCount", total), ("pageNo", page_no), ("pageSize", page_size)):
            etree.SubElement(response, f"{{{NS}}}{name}").text = str(value)
        persons = etree.SubElement(response, f"{{{NS}}}persons")
        tags = [f"{{{NS}}}{name}" for name in _PERSON_FIELDS]
        for i in page:
            raw = self.person(i)
            person = etree.SubElement(persons, f"{{{NS}}}person")
            for name, tag in zip(_PERSON_FIELDS, tags, strict=True):
                etree.SubElement(person, tag).text = raw[name]
        return self.serialize(response, nxt)


def _continuation(position: int, page_no: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}:{page_no}".encode()).decode().rstrip("=")


def _continued(token: str) -> tuple[int, int]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        position, page_no = text[1:].split(":")
        return int(position), int(page_no)
    except (ValueError, UnicodeDecodeError):
        raise SoapFault(500, "soap:Client", f"continuation 无法识别：{token!r}") from None


class PopulationServer(SoapServer):
    """The SOAP population registry on a loopback port (``port=0``: a free one)."""

    def __init__(
        self,
        world: World,
        dirt: DirtRates,
        *,
        username: str,
        password: str,
        fail_after_pages: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        credentials = WsseCredentials(username, password)
        registry = _Registry(world, dirt, credentials, fail_after_pages)
        super().__init__(registry, host=host, port=port)
