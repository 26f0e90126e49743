"""Where SOAP answers are classified: zeep's HTTP transport, made to remember the status
of the last response and to refuse a body that is not whole XML (zeep parses leniently,
so a body cut off part way would come out as fewer records), and the mapping of a SOAP
fault or an HTTP status to a fatal or a retriable error.

A SOAP fault about authentication, or a client fault, is fatal and carries the fault
string; server faults, HTTP 429 and 5xx, and a body cut off part way are retriable.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from zeep import Transport
from zeep.exceptions import Fault, TransportError

from tongban.errors import FatalError, RetriableError

__all__ = ["NotXml", "StatusTransport", "fault_error", "transport_error"]


class StatusTransport(Transport):
    """zeep's transport, remembering the HTTP status of the last operation's response
    (zeep reports a non-SOAP error body as a fault without a code, status unsaid)."""

    last_status = 0

    def post(self, address: str, message: Any, headers: Any) -> Any:
        self.last_status = 0
        response = super().post(address, message, headers)
        self.last_status = status = response.status_code
        content = response.content
        if content:
            # zeep parses leniently (strict=False): a body cut off part way would come out
            # as fewer records, and a plain-text error page as nothing. Only whole XML
            # goes on.
            try:
                etree.fromstring(content, parser=_WHOLE_XML)
            except etree.XMLSyntaxError as exc:
                raise NotXml(status, f"{exc}; the body begins {content[:60]!r}") from None
        return response


_WHOLE_XML = etree.XMLParser(resolve_entities=False, huge_tree=True, no_network=True)


class NotXml(Exception):
    """A response body that is not whole XML, with the HTTP status it came with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def fault_error(name: str, fault: Fault, status: int) -> Exception:
    code = str(fault.code or "")
    if not code:  # not a SOAP fault: an error page or some other XML in its place
        message = f"{name}: HTTP {status} with a body that is not a SOAP response: {fault.message}"
        return RetriableError(message) if status == 429 or status >= 500 else FatalError(message)
    message = f"{name}: SOAP fault {code}: {fault.message}"
    if code.split(":")[-1] in ("Server", "Receiver", "ServiceUnavailable"):
        return RetriableError(message)
    return FatalError(message)


def transport_error(name: str, exc: TransportError, *, what: str) -> Exception:
    status = getattr(exc, "status_code", 0) or 0
    if status == 200 and "invalid XML" in str(exc):  # cut off part way, or an error page
        return RetriableError(f"{name}: HTTP 200 for {what} with a body that is not whole XML")
    message = f"{name}: HTTP {status} for {what}"
    if status == 429 or status >= 500:
        return RetriableError(message)
    return FatalError(message)
