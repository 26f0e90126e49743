"""What the SOAP stand-ins share: one SOAP 1.1 operation (document/literal, wrapped) on
one path, its static WSDL on ``GET <path>?wsdl``, a WS-Security ``UsernameToken`` on
every request, and every answer, faults included, in the registry's own encoding.

A registry says what it answers (:meth:`SoapService.answer`, given the operation's
element of a checked envelope) and raises :class:`SoapFault` for a request it refuses;
this module does the rest: the path, the SOAPAction, the XML, the envelope, the
credentials, the paging parameters and the fault.

    >>> class Titles(SoapService):                             # doctest: +SKIP
    ...     def answer(self, request): ...
    >>> op = SoapOperation("/t", "t.wsdl", "urn:t", "QueryChangedTitles", "GB18030")
    >>> with SoapServer(Titles(op, WsseCredentials("u", "p"))) as srv:  # doctest: +SKIP
    ...     srv.wsdl_url
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
from sandbox.world import CST

__all__ = [
    "SOAP_ENV",
    "WSSE",
    "WSU",
    "SoapFault",
    "SoapOperation",
    "SoapServer",
    "SoapService",
    "WsseCredentials",
]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_DIGEST = "#PasswordDigest"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class SoapFault(Exception):
    """A request the registry refuses: the HTTP status, the fault code and its message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class WsseCredentials:
    """The one account a registry knows: a ``UsernameToken`` must name it, with the
    password as text or as a digest (Base64(SHA-1(nonce + created + password)))."""

    username: str
    password: str

    def check(self, envelope: etree._Element) -> None:
        token = envelope.find(f"{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        if token is None or not self._token_ok(token):
            raise SoapFault(500, "wsse:FailedAuthentication", "认证失败：用户名或密码错误")

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


@dataclass(frozen=True)
class SoapOperation:
    """A registry's one operation: where it is served, its WSDL (package data of
    ``sandbox``), its namespace and name, and the encoding of its answers."""

    path: str
    wsdl_file: str
    ns: str
    name: str
    encoding: str

    @property
    def action(self) -> str:
        return f"{self.ns}/{self.name}"

    @property
    def content_type(self) -> str:
        return f"text/xml; charset={self.encoding}"

    def wsdl(self) -> bytes:
        return resources.files("sandbox").joinpath(self.wsdl_file).read_bytes()


class SoapService:
    """A registry serving ``operation`` to the holder of ``credentials``."""

    def __init__(self, operation: SoapOperation, credentials: WsseCredentials) -> None:
        self.op, self.credentials = operation, credentials

    def answer(self, request: etree._Element) -> bytes:
        """The response to an authenticated request, given its operation element (raise
        :class:`SoapFault` to refuse it)."""
        raise NotImplementedError

    def respond(self, body: bytes, action: str) -> tuple[int, bytes]:
        """The HTTP status and body answering a POST of ``body`` with ``action``."""
        try:
            if action and action != self.op.action:
                raise SoapFault(500, "soap:Client", f"未知的 SOAPAction：{action}")
            try:
                envelope = etree.fromstring(body, _PARSER)
            except etree.XMLSyntaxError as exc:
                raise SoapFault(500, "soap:Client", f"请求不是合法的 XML：{exc}") from None
            if envelope.tag != f"{{{SOAP_ENV}}}Envelope":
                raise SoapFault(500, "soap:VersionMismatch", "需要 SOAP 1.1 Envelope")
            self.credentials.check(envelope)
            request = envelope.find(f"{{{SOAP_ENV}}}Body/{{{self.op.ns}}}{self.op.name}")
            if request is None:
                raise SoapFault(500, "soap:Client", f"请求体缺少 {self.op.name} 元素")
            return 200, self.answer(request)
        except SoapFault as fault:
            return fault.status, self.fault_body(fault.code, fault.message)

    def fault_body(self, code: str, message: str) -> bytes:
        env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "wsse": WSSE})
        body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
        fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
        etree.SubElement(fault, "faultcode").text = code
        etree.SubElement(fault, "faultstring").text = message
        return etree.tostring(env, xml_declaration=True, encoding=self.op.encoding)

    # -- reading the request ----------------------------------------------------------

    def text(self, request: etree._Element, name: str) -> str:
        return (request.findtext(f"{{{self.op.ns}}}{name}") or "").strip()

    def integer(self, request: etree._Element, name: str) -> int:
        text = request.findtext(f"{{{self.op.ns}}}{name}")
        try:
            return int((text or "").strip())
        except ValueError:
            raise SoapFault(500, "soap:Client", f"{name} 必须是整数，收到 {text!r}") from None

    def page_size(self, request: etree._Element) -> int:
        size = self.integer(request, "pageSize")
        if not 1 <= size <= 1000:
            raise SoapFault(500, "soap:Client", f"pageSize 必须在 1 到 1000 之间，收到 {size}")
        return size

    def changed_since(self, request: etree._Element) -> datetime | None:
        """The request's ``changedSince`` (None: not given); one without an offset is
        read as Beijing time (+08:00), as the registries' own clients send it."""
        text = self.text(request, "changedSince")
        if not text:
            return None
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise SoapFault(
                500, "soap:Client", f"changedSince 不是 xs:dateTime：{text!r}"
            ) from None
        return when if when.tzinfo else when.replace(tzinfo=CST)

    # -- writing the response ---------------------------------------------------------

    def response(self) -> etree._Element:
        """The ``<operation>Response`` element of a new envelope (declaring the
        namespace as ``tns``), to fill and pass to :meth:`serialize`."""
        ns = self.op.ns
        env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "tns": ns})
        body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
        return etree.SubElement(body, f"{{{ns}}}{self.op.name}Response")

    def serialize(self, response: etree._Element, continuation: str | None = None) -> bytes:
        """The envelope of ``response``, with ``nextContinuation`` when a page follows."""
        if continuation is not None:
            etree.SubElement(response, f"{{{self.op.ns}}}nextContinuation").text = continuation
        root = response.getroottree()
        return etree.tostring(root, xml_declaration=True, encoding=self.op.encoding)


class _SoapHandler(Handler):
    def do_GET(self) -> None:
        op: SoapOperation = self.app.op
        parts = urlsplit(self.path)
        if parts.path == op.path and parts.query.lower() == "wsdl":
            self.send(200, op.wsdl(), "text/xml; charset=utf-8")
        else:
            self.send(404, b"not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        service: SoapService = self.app
        body = self.read_body()
        if urlsplit(self.path).path != service.op.path:
            self.send(404, b"not found", "text/plain; charset=utf-8")
            return
        action = (self.headers.get("SOAPAction") or "").strip().strip('"')
        status, answer = service.respond(body, action)
        self.send(status, answer, service.op.content_type)


class SoapServer(BackgroundServer):
    """A :class:`SoapService` on a loopback port (``port=0``: a free one)."""

    def __init__(self, service: SoapService, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_SoapHandler, service, host=host, port=port)
        self.service = service

    @property
    def wsdl_url(self) -> str:
        return f"{self.url}{self.service.op.path}?wsdl"

    @property
    def endpoint(self) -> str:
        return f"{self.url}{self.service.op.path}"
