"""How to reach a system, by transport (``transport:`` of a definition): REST, SOAP, a
front-end database (前置库) or a file drop, each with its auth, timeouts and retries.
A new option of a transport is added here; a new kind of transport adds a model here and
a connector beside it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from connectors.definition._base import _Strict
from connectors.paging import Pagination, WindowPagination


class Timeouts(_Strict):
    connect: float = Field(5.0, gt=0, description="seconds to open a connection")
    read: float = Field(60.0, gt=0, description="seconds to wait for one response")


class Retry(_Strict):
    attempts: int = Field(5, ge=1, le=50, description="tries per call, the first included")
    backoff: float = Field(0.5, ge=0, description="first wait in seconds; doubles each time")
    max_backoff: float = Field(30.0, ge=0)


# -- auth --------------------------------------------------------------------------------


class NoAuth(_Strict):
    kind: Literal["none"] = "none"


class BearerAuth(_Strict):
    kind: Literal["bearer"]
    token_env: str


class ApiKeyAuth(_Strict):
    kind: Literal["api_key"]
    header: str = "X-Api-Key"
    key_env: str


class HmacAuth(_Strict):
    """App key + timestamp + HMAC over method, path, sorted query and timestamp."""

    kind: Literal["hmac"]
    app_key: str
    secret_env: str
    algorithm: Literal["sha256", "sha1", "sm3"] = "sha256"
    key_header: str = "X-App-Key"
    timestamp_header: str = "X-Timestamp"
    signature_header: str = "X-Signature"


class WsseAuth(_Strict):
    """WS-Security UsernameToken."""

    kind: Literal["wsse"]
    username: str
    password_env: str
    digest: bool = False


RestAuth = Annotated[NoAuth | BearerAuth | ApiKeyAuth | HmacAuth, Field(discriminator="kind")]

# -- transports --------------------------------------------------------------------------


class Incremental(_Strict):
    """Ask only for what changed since the last run: ``param`` carries the high-water mark
    of ``field`` (the records' change time) from the previous run, inclusive."""

    param: str
    field: str


class RestSchema(_Strict):
    """Where the system describes its answers, to check the mapping against before any
    record is read: an OpenAPI document (3.x or Swagger 2, JSON or YAML) and the operation
    whose 200 response holds the records (default ``GET <transport.path>``), or a JSON
    Schema of the response body. A URL, or a path on ``base_url``."""

    openapi: str | None = None
    response: str | None = Field(None, description="the operation: 'GET /api/v1/items'")
    json_schema: str | None = None

    @model_validator(mode="after")
    def _one_document(self) -> RestSchema:
        if (self.openapi is None) == (self.json_schema is None):
            raise ValueError("give openapi (a document and its response) or json_schema")
        if self.response is not None and self.openapi is None:
            raise ValueError("response names an operation of an OpenAPI document")
        return self


class RestTransport(_Strict):
    kind: Literal["rest"]
    base_url: str
    path: str
    params: dict[str, str] = Field(default_factory=dict)
    records_path: str = Field("items", description="dotted path to the list of records")
    auth: RestAuth = Field(default=NoAuth())
    pagination: Pagination
    incremental: Incremental | None = None
    schema_: RestSchema | None = Field(None, alias="schema")
    timeout: Timeouts = Field(default=Timeouts())
    retry: Retry = Field(default=Retry())

    @model_validator(mode="after")
    def _windows_ask_by_time(self) -> RestTransport:
        if isinstance(self.pagination, WindowPagination) and self.incremental is not None:
            raise ValueError(
                "time windows ask by change time themselves (from_param, to_param):"
                " drop incremental"
            )
        return self


class SoapContinuation(_Strict):
    """Paging by an opaque continuation token each response carries: the request sends
    the last one back in ``param``; the response names the next at ``next_path`` (a page
    without one is the last). The page number is then not sent."""

    param: str
    next_path: str


class SoapTransport(_Strict):
    kind: Literal["soap"]
    wsdl: str
    endpoint: str | None = Field(
        None, description="override the address the WSDL advertises (often an internal host)"
    )
    operation: str
    records_path: str = Field(..., description="dotted path to the records in the response")
    total_path: str | None = Field(None, description="dotted path to the total count")
    since_param: str
    page_param: str | None = Field(None, description="page number; or give continuation")
    size_param: str
    page_size: int = Field(500, ge=1)
    first_page: int = 1
    change_field: str = Field(..., description="record field holding its change time")
    initial_since: str = Field(
        "1970-01-01T00:00:00+08:00", description="change time the very first pass asks from"
    )
    continuation: SoapContinuation | None = None
    auth: WsseAuth | None = None
    timeout: Timeouts = Field(default=Timeouts())
    retry: Retry = Field(default=Retry())

    @model_validator(mode="after")
    def _one_way_to_page(self) -> SoapTransport:
        if (self.page_param is None) == (self.continuation is None):
            raise ValueError("page by number (page_param) or by token (continuation), one of them")
        return self


class SqlTransport(_Strict):
    kind: Literal["sql"]
    url: str = Field(..., description="SQLAlchemy URL of the front-end database (前置库)")
    table: str
    db_schema: str | None = Field(None, alias="schema")
    columns: list[str] | None = Field(None, description="columns to read; default all")
    cursor_column: str
    tie_breaker: str = Field(..., description="unique column ordering rows of equal cursor")
    page_size: int = Field(1000, ge=1)
    retry: Retry = Field(default=Retry())


class FilesTransport(_Strict):
    kind: Literal["files"]
    directory: str
    pattern: str = "*.csv"
    format: Literal["csv", "xlsx"] = "csv"
    encoding: str | list[str] = Field(
        "utf-8",
        description="of a CSV file (an XLSX file carries its own); a list is tried in order,"
        " and a file none of them decodes is refused whole",
    )
    delimiter: str = ","
    sheet: str | None = None  # of an XLSX workbook; None: its first sheet
    page_size: int = Field(1000, ge=1)

    @model_validator(mode="after")
    def _sheet_of_a_workbook(self) -> FilesTransport:
        if self.sheet is not None and self.format != "xlsx":
            raise ValueError("sheet applies to format: xlsx only")
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | list[str]) -> str | list[str]:
        import codecs

        for name in [value] if isinstance(value, str) else value:
            try:
                codecs.lookup(name)
            except LookupError:
                raise ValueError(f"unknown encoding {name!r}") from None
        if not value:
            raise ValueError("give at least one encoding")
        return value

    @property
    def encodings(self) -> list[str]:
        return [self.encoding] if isinstance(self.encoding, str) else list(self.encoding)


Transport = Annotated[
    RestTransport | SoapTransport | SqlTransport | FilesTransport, Field(discriminator="kind")
]
