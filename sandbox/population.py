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
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from urllib.parse import urlsplit

from lxml import etree

from sandbox._http import BackgroundServer, Handler
from sandbox.dirt import DirtRates
from sandbox.sources import population_person
from sandbox.world import CST, World

__all__ = ["NS", "SOAP_ACTION", "PopulationServer", "wsdl_text"]

NS = "http://gongan.example.gov.cn/population/v1"
SOAP_ACTION = f"{NS}/QueryChangedPersons"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_DIGEST = "#PasswordDigest"
_CONTENT_TYPE = "text/xml; charset=GBK"
_PERSON_FIELDS = ("recordId", "sfzh", "xm", "xb", "csrq", "mz", "zz", "lxdh", "hyzk", "bgsj")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def wsdl_text() -> bytes:
    return resources.files("sandbox").joinpath("population.wsdl").read_bytes()


class _Fault(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _fault_body(code: str, message: str) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "wsse": WSSE})
    fault = etree.SubElement(etree.SubElement(env, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = message
    return etree.tostring(env, xml_declaration=True, encoding="GBK")


@dataclass
class _Registry:
    world: World
    dirt: DirtRates
    username: str
    password: str
    fail_after_pages: int | None

    def __post_init__(self) -> None:
        self.timeline = self.world.timeline("gongan_population", self.world.people)
        self._raw: dict[int, dict[str, str]] = {}

    def person(self, i: int) -> dict[str, str]:
        raw = self._raw.get(i)
        if raw is None:
            raw = self._raw[i] = population_person(self.world, self.dirt, i)[0]
        return raw

    def authenticate(self, envelope: etree._Element) -> None:
        token = envelope.find(f"{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        if token is None or not self._token_ok(token):
            raise _Fault(500, "wsse:FailedAuthentication", "认证失败：用户名或密码错误")

    def _token_ok(self, token: etree._Element) -> bool:
        username = (token.findtext(f"{{{WSSE}}}Username") or "").strip()
        password = token.find(f"{{{WSSE}}}Password")
        if password is None or not hmac.compare_digest(username, self.username):
            return False
        given = (password.text or "").strip()
        if password.get("Type", "").endswith(_DIGEST):
            nonce = token.findtext(f"{{{WSSE}}}Nonce") or ""
            created = token.findtext(f"{{{WSU}}}Created") or ""
            try:
                raw_nonce = base64.b64decode(nonce.strip(), validate=True)
            except ValueError:
                return False
            digest = hashlib.sha1(raw_nonce + created.strip().encode() + self.password.encode())
            expected = base64.b64encode(digest.digest()).decode("ascii")
            return hmac.compare_digest(given, expected)
        return hmac.compare_digest(given, self.password)

    def query(self, envelope: etree._Element) -> bytes:
        request = envelope.find(f"{{{SOAP_ENV}}}Body/{{{NS}}}QueryChangedPersons")
        if request is None:
            raise _Fault(500, "soap:Client", "请求体缺少 QueryChangedPersons 元素")
        token = (request.findtext(f"{{{NS}}}continuation") or "").strip()
        resumed = _continued(token) if token else None
        if resumed:
            page_no = resumed[1]
        elif request.find(f"{{{NS}}}pageNo") is None:  # a first page asked for by token
            page_no = 1
        else:
            page_no = _int(request, "pageNo")
        page_size = _int(request, "pageSize")
        if not 1 <= page_size <= 1000:
            raise _Fault(500, "soap:Client", f"pageSize 必须在 1 到 1000 之间，收到 {page_size}")
        if page_no < 1:
            raise _Fault(500, "soap:Client", f"pageNo 从 1 开始，收到 {page_no}")
        if self.fail_after_pages is not None and page_no > self.fail_after_pages:
            raise _Fault(503, "soap:Server", "服务暂不可用，请稍后重试")
        since = _since(request)
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
        env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "tns": NS})
        body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
        response = etree.SubElement(body, f"{{{NS}}}QueryChangedPersonsResponse")
        for name, value in (("totalCount", total), ("pageNo", page_no), ("pageSize", page_size)):
            etree.SubElement(response, f"{{{NS}}}{name}").text = str(value)
        persons = etree.SubElement(response, f"{{{NS}}}persons")
        tags = [f"{{{NS}}}{name}" for name in _PERSON_FIELDS]
        for i in page:
            raw = self.person(i)
            person = etree.SubElement(persons, f"{{{NS}}}person")
            for name, tag in zip(_PERSON_FIELDS, tags, strict=True):
                etree.SubElement(person, tag).text = raw[name]
        if nxt is not None:
            etree.SubElement(response, f"{{{NS}}}nextContinuation").text = nxt
        return etree.tostring(env, xml_declaration=True, encoding="GBK")


def _continuation(position: int, page_no: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}:{page_no}".encode()).decode().rstrip("=")


def _continued(token: str) -> tuple[int, int]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        position, page_no = text[1:].split(":")
        return int(position), int(page_no)
    except (ValueError, UnicodeDecodeError):
        raise _Fault(500, "soap:Client", f"continuation 无法识别：{token!r}") from None


def _int(request: etree._Element, name: str) -> int:
    text = request.findtext(f"{{{NS}}}{name}")
    try:
        return int((text or "").strip())
    except ValueError:
        raise _Fault(500, "soap:Client", f"{name} 必须是整数，收到 {text!r}") from None


def _since(request: etree._Element) -> datetime | None:
    text = (request.findtext(f"{{{NS}}}changedSince") or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _Fault(500, "soap:Client", f"changedSince 不是 xs:dateTime：{text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=CST)


class _PopulationHandler(Handler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/population" and parts.query.lower() == "wsdl":
            self.send(200, wsdl_text(), "text/xml; charset=utf-8")
        else:
            self.send(404, b"not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        body = self.read_body()
        if urlsplit(self.path).path != "/population":
            self.send(404, b"not found", "text/plain; charset=utf-8")
            return
        registry: _Registry = self.app
        try:
            action = (self.headers.get("SOAPAction") or "").strip().strip('"')
            if action and action != SOAP_ACTION:
                raise _Fault(500, "soap:Client", f"未知的 SOAPAction：{action}")
            try:
                envelope = etree.fromstring(body, _PARSER)
            except etree.XMLSyntaxError as exc:
                raise _Fault(500, "soap:Client", f"请求不是合法的 XML：{exc}") from None
            if envelope.tag != f"{{{SOAP_ENV}}}Envelope":
                raise _Fault(500, "soap:VersionMismatch", "需要 SOAP 1.1 Envelope")
            registry.authenticate(envelope)
            self.send(200, registry.query(envelope), _CONTENT_TYPE)
        except _Fault as fault:
            self.send(fault.status, _fault_body(fault.code, fault.message), _CONTENT_TYPE)


class PopulationServer(BackgroundServer):
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
        registry = _Registry(world, dirt, username, password, fail_after_pages)
        super().__init__(_PopulationHandler, registry, host=host, port=port)

    @property
    def wsdl_url(self) -> str:
        return f"{self.url}/population?wsdl"

    @property
    def endpoint(self) -> str:
        return f"{self.url}/population"
