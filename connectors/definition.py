"""Source definitions: one YAML file per department system, validated by a schema.

A definition says how to reach the system (transport, endpoint, auth, pagination, cursor)
and how its fields map to the canonical model. Secrets never sit in the file: auth names
the environment variable that holds them (``password_env``, ``secret_env``, ...), and any
string may refer to the environment as ``${NAME}`` or ``${NAME:-default}``; both are
resolved when the source is opened, not when it is listed.

    >>> definition = load_definition(Path("connectors/sources/scjg_enterprise.yaml"))
    >>> definition.entity, definition.transport.kind
    ('enterprise', 'rest')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tongban.entities import ENTITIES
from tongban.errors import FatalError

__all__ = [
    "DefinitionError",
    "SourceDefinition",
    "bundled_sources_dir",
    "load_definition",
    "load_definitions",
    "resolve_env",
]


class DefinitionError(FatalError):
    """A source definition that cannot be used: the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class CursorPagination(_Strict):
    kind: Literal["cursor"]
    cursor_param: str = "cursor"
    next_cursor_path: str = "next_cursor"
    limit_param: str = "limit"
    limit: int = Field(500, ge=1)


class PagePagination(_Strict):
    kind: Literal["page"]
    page_param: str = "page"
    size_param: str = "size"
    size: int = Field(500, ge=1)
    first_page: int = 1


class OffsetPagination(_Strict):
    kind: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(500, ge=1)


Pagination = Annotated[
    CursorPagination | PagePagination | OffsetPagination, Field(discriminator="kind")
]


class Incremental(_Strict):
    """Ask only for what changed since the last run: ``param`` carries the high-water mark
    of ``field`` (the records' change time) from the previous run, inclusive."""

    param: str
    field: str


class RestTransport(_Strict):
    kind: Literal["rest"]
    base_url: str
    path: str
    params: dict[str, str] = Field(default_factory=dict)
    records_path: str = Field("items", description="dotted path to the list of records")
    auth: RestAuth = Field(default=NoAuth())
    pagination: Pagination
    incremental: Incremental | None = None
    timeout: Timeouts = Field(default=Timeouts())
    retry: Retry = Field(default=Retry())


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
    page_param: str
    size_param: str
    page_size: int = Field(500, ge=1)
    first_page: int = 1
    change_field: str = Field(..., description="record field holding its change time")
    initial_since: str = Field(
        "1970-01-01T00:00:00+08:00", description="change time the very first pass asks from"
    )
    auth: WsseAuth | None = None
    timeout: Timeouts = Field(default=Timeouts())
    retry: Retry = Field(default=Retry())


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
    encoding: str = "utf-8"  # of a CSV file (an XLSX file carries its own)
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
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value


Transport = Annotated[
    RestTransport | SoapTransport | SqlTransport | FilesTransport, Field(discriminator="kind")
]

# -- mapping -----------------------------------------------------------------------------


class FieldMapping(_Strict):
    source: str | None = Field(None, alias="from", description="source field; None: constant")
    transforms: list[str | dict[str, Any]] = Field(default_factory=list)
    value: Any = Field(None, description="constant value when there is no source field")

    @model_validator(mode="after")
    def _source_or_value(self) -> FieldMapping:
        if self.source is None and self.value is None:
            raise ValueError("give `from` (a source field) or `value` (a constant)")
        return self


class Quality(_Strict):
    """Batch gate thresholds for this source (used by the data-quality step)."""

    min_success_ratio: float = Field(0.5, ge=0, le=1)
    max_null_share: dict[str, float] = Field(default_factory=dict)


class SourceDefinition(_Strict):
    name: str = Field(..., pattern=r"^[a-z][a-z0-9_]{1,59}$")
    title: str
    department: str
    entity: str
    transport: Transport
    record_id: str | None = Field(
        None, description="source field identifying a record (files: always <file>:<line>)"
    )
    mapping: dict[str, str | FieldMapping]
    schedule: str | None = Field(None, description="cron expression for the scheduler")
    owner: str = Field("data-engineering", description="who answers for the source's runs")
    retries: int = Field(2, ge=0, le=20, description="a failed scheduled run is retried so often")
    timeout: int = Field(3600, gt=0, description="seconds a scheduled run may take")
    partitions: int = Field(
        1, ge=1, le=64,
        description="parallel partitions of a scheduled run, split by a hash of the key",
    )  # fmt: skip
    quality: Quality = Field(default=Quality())
    path: Path | None = Field(None, exclude=True)

    @field_validator("entity")
    @classmethod
    def _known_entity(cls, value: str) -> str:
        if value not in ENTITIES:
            raise ValueError(f"unknown entity {value!r}; expected one of {sorted(ENTITIES)}")
        return value

    @model_validator(mode="after")
    def _mapping_fits_entity(self) -> SourceDefinition:
        from connectors.transforms import compile_mapping

        spec = ENTITIES[self.entity]
        allowed = {spec.key, *spec.fields}
        unknown = sorted(set(self.mapping) - allowed)
        if unknown:
            raise ValueError(
                f"mapping targets {unknown} are not fields of {self.entity}; "
                f"fields: {sorted(allowed)}"
            )
        key_sources = {spec.key} | (
            {"license_type_code", "license_number"} if self.entity == "license" else set()
        )
        if not key_sources & set(self.mapping):
            raise ValueError(f"mapping must give the {self.entity} key {spec.key!r}")
        compile_mapping(self.fields())  # unknown transforms and bad arguments fail here
        if self.record_id is None and self.transport.kind != "files":
            raise ValueError("record_id: give the source field that identifies a record")
        return self

    def fields(self) -> dict[str, FieldMapping]:
        return {
            target: FieldMapping.model_validate({"from": m}) if isinstance(m, str) else m
            for target, m in self.mapping.items()
        }

    @cached_property
    def key_field(self) -> str:
        return ENTITIES[self.entity].key


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def resolve_env(value: str, env: Mapping[str, str], *, where: str) -> str:
    """Replace ``${NAME}`` and ``${NAME:-default}`` with values from ``env``."""

    def sub(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env and env[name] != "":
            return env[name]
        if default is not None:
            return default
        raise DefinitionError(f"{where}: environment variable {name} is not set")

    return _ENV_REF.sub(sub, value)


def bundled_sources_dir() -> Path:
    return Path(str(resources.files("connectors").joinpath("sources")))


def load_definition(path: Path) -> SourceDefinition:
    """Read and check one YAML definition; a bad one raises :class:`DefinitionError`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path}: cannot read source definition: {exc}") from None
    if not isinstance(data, dict):
        raise DefinitionError(f"{path}: a source definition is a mapping of keys")
    try:
        definition = SourceDefinition.model_validate({**data, "path": path})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise DefinitionError(f"{path}: {problems}") from None
    if definition.name != path.stem:
        raise DefinitionError(f"{path}: name {definition.name!r} must match the file name")
    return definition


def load_definitions(*directories: Path | None) -> dict[str, SourceDefinition]:
    """Definitions from the bundled directory, then each given directory (later wins)."""
    found: dict[str, SourceDefinition] = {}
    for directory in (bundled_sources_dir(), *directories):
        if directory is None or not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            definition = load_definition(path)
            found[definition.name] = definition
    return found
