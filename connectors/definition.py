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
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.paging import Pagination, WindowPagination
from tongban.entities import ENTITIES
from tongban.errors import FatalError

__all__ = [
    "ChildRecords",
    "DefinitionError",
    "SourceDefinition",
    "SourceSet",
    "bundled_sources_dir",
    "load_definition",
    "load_definitions",
    "load_sources",
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

# -- mapping -----------------------------------------------------------------------------


class FieldMapping(_Strict):
    source: str | None = Field(None, alias="from", description="source field; None: constant")
    transforms: list[str | dict[str, Any]] = Field(default_factory=list)
    value: Any = Field(None, description="constant value when there is no source field")
    fields: dict[str, str | FieldMapping] | None = Field(
        None,
        description="a structured value built from several source fields, each mapped as a"
        " field is (a license's type-specific fields: 坐落, 用途, 面积)",
    )
    each: str | None = Field(
        None,
        description="path to repeated elements (QLRLIST.QLR[*]): a list of structures, one"
        " per element, its `fields` read relative to the element (a license's holders)",
    )

    @model_validator(mode="after")
    def _source_or_value(self) -> FieldMapping:
        given = [k for k in ("source", "value", "fields") if getattr(self, k) is not None]
        if not given:
            raise ValueError(
                "give `from` (a source field), `value` (a constant) or `fields` (a structure)"
            )
        if self.fields is not None and (len(given) > 1 or self.transforms):
            raise ValueError("`fields` builds a structure: give it alone, transforms inside")
        if self.each is not None and self.fields is None:
            raise ValueError("`each` builds a list of structures: give their `fields`")
        return self

    def parts(self) -> dict[str, FieldMapping]:
        """The mappings of a structure's fields."""
        return {
            name: FieldMapping.model_validate({"from": m}) if isinstance(m, str) else m
            for name, m in (self.fields or {}).items()
        }


class ChildRecords(_Strict):
    """Records of another entity found inside each source record (the holders of a
    license as people): one per element at ``each``, mapped relative to the element
    (``$parent.<path>`` reads the parent record). A child's record id is
    ``<parent id>/<child id>``; its change time and cursor are its parent's."""

    entity: str
    each: str = Field(..., description="path to the repeated elements, relative to the record")
    where: dict[str, str | int] | None = Field(
        None, description="keep only elements whose field (a path) equals the value"
    )
    record_id: str = Field(..., description="path in the element identifying it in its parent")
    mapping: dict[str, str | FieldMapping]

    @field_validator("entity")
    @classmethod
    def _known_entity(cls, value: str) -> str:
        if value not in ENTITIES:
            raise ValueError(f"unknown entity {value!r}; expected one of {sorted(ENTITIES)}")
        return value

    @model_validator(mode="after")
    def _mapping_fits_entity(self) -> ChildRecords:
        from connectors.paths import parse_path

        for key, path in (("each", self.each), ("record_id", self.record_id),
                          *((f"where.{k}", k) for k in self.where or {})):  # fmt: skip
            try:
                parse_path(path)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        _check_mapping(self.entity, self.mapping, self.fields())
        return self

    def fields(self) -> dict[str, FieldMapping]:
        return _fields(self.mapping)


def _fields(mapping: Mapping[str, str | FieldMapping]) -> dict[str, FieldMapping]:
    return {
        target: FieldMapping.model_validate({"from": m}) if isinstance(m, str) else m
        for target, m in mapping.items()
    }


LIST_FIELDS: dict[str, frozenset[str]] = {"license": frozenset({"holders"})}
"""Targets holding a list, by entity: only these take ``each`` or a ``from`` with [*]."""


def _many(path: str | None) -> bool:
    from connectors.paths import parse_path, selects_many

    if path is None or ("." not in path and "[" not in path):
        return False
    try:
        return selects_many(parse_path(path))
    except ValueError:
        return False  # a malformed path: compile_mapping names it


def _check_mapping(
    entity: str, mapping: Mapping[str, Any], fields: Mapping[str, FieldMapping]
) -> None:
    """The targets are the entity's fields, and only its list fields read several values;
    compiling checks transforms and paths."""
    from connectors.transforms import compile_mapping

    spec = ENTITIES[entity]
    allowed = {spec.key, *spec.fields}
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ValueError(
            f"mapping targets {unknown} are not fields of {entity}; fields: {sorted(allowed)}"
        )
    lists = LIST_FIELDS.get(entity, frozenset())
    for target, m in fields.items():
        if target in lists:
            if m.fields is not None and m.each is None:
                raise ValueError(f"{target}: a list: give `each` (the path to its items)")
            if m.each is None and m.source is not None and not _many(m.source):
                raise ValueError(f"{target}: a list: `from` needs a path with [*]")
        elif m.each is not None:
            raise ValueError(
                f"{target}: takes one value, not a list (`each`); list fields of {entity}:"
                f" {sorted(lists) or 'none'}"
            )
        elif _many(m.source):
            raise ValueError(
                f"{target}: from {m.source!r} selects every item of a list ([*]), but"
                f" {target} takes one value (name an item, [0]; list fields of {entity}:"
                f" {sorted(lists) or 'none'})"
            )
        for name, part in m.parts().items():
            if _many(part.source) or part.each is not None:
                raise ValueError(
                    f"{target}: {target}.{name}: from {part.source!r} selects every item of"
                    " a list ([*]), but a structure's field takes one value"
                )
    compile_mapping(fields)  # unknown transforms, bad arguments and bad paths fail here


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
    children: list[ChildRecords] = Field(
        default_factory=list, description="records of other entities inside each record"
    )
    path: Path | None = Field(None, exclude=True)

    @field_validator("entity")
    @classmethod
    def _known_entity(cls, value: str) -> str:
        if value not in ENTITIES:
            raise ValueError(f"unknown entity {value!r}; expected one of {sorted(ENTITIES)}")
        return value

    @model_validator(mode="after")
    def _mapping_fits_entity(self) -> SourceDefinition:
        spec = ENTITIES[self.entity]
        _check_mapping(self.entity, self.mapping, self.fields())
        key_sources = {spec.key} | (
            {"license_type_code", "license_number"} if self.entity == "license" else set()
        )
        if not key_sources & set(self.mapping):
            raise ValueError(f"mapping must give the {self.entity} key {spec.key!r}")
        if self.record_id is None and self.transport.kind != "files":
            raise ValueError("record_id: give the source field that identifies a record")
        return self

    def fields(self) -> dict[str, FieldMapping]:
        return _fields(self.mapping)

    def fields_of(self, entity: str) -> dict[str, FieldMapping] | None:
        """The mapping of this source's records of ``entity``: its own, or that of the
        first of its ``children`` of that entity (None: it has none)."""
        if entity == self.entity:
            return self.fields()
        child = next((c for c in self.children if c.entity == entity), None)
        return child.fields() if child is not None else None

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


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (where the plain
    loader lets the last one win silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue  # an unhashable key: the constructor says so below
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice (first on line {first})",
                    key_node.start_mark,
                )  # fmt: skip
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error as ``line N: what``, on one line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    what = f"{context}, {problem}" if context and problem != context else problem
    return where + " ".join(str(what).split())


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest node of ``root`` along a validation error's path."""
    node, line = root, None
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == str(step)), None)
            if found is None:
                break
            line, node = found.start_mark.line + 1, found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            continue  # a step of pydantic's own (a union member's tag): same node
    return line


def load_definition(path: Path) -> SourceDefinition:
    """Read and check one YAML definition; a bad one raises :class:`DefinitionError`
    naming the file, the line and the key, on one line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read source definition: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DefinitionError(
            f"{path}: line {line}: not UTF-8 (byte {exc.start}: {exc.reason}); a source"
            " definition is UTF-8 text"
        ) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path}: {_yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise DefinitionError(f"{path}: a source definition is a mapping of keys")
    try:
        definition = SourceDefinition.model_validate({**data, "path": path})
    except ValidationError as exc:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        problems = []
        mapping = data.get("mapping")
        for err in exc.errors():
            loc = tuple(err["loc"])
            target = str(err.get("msg", "")).removeprefix("Value error, ").split(":", 1)[0]
            if not loc and isinstance(mapping, dict) and target in mapping:
                loc = ("mapping", target)  # a mapping entry's own check (a bad transform)
            key = ".".join(str(p) for p in loc) or "(top)"
            found = _line_of(root, loc)
            at = f"line {found}: " if found is not None else ""
            problems.append(f"{at}{key}: {' '.join(err['msg'].split())}")
        raise DefinitionError(f"{path}: {'; '.join(problems)}") from None
    if definition.name != path.stem:
        raise DefinitionError(f"{path}: name {definition.name!r} must match the file name")
    return definition


@dataclass(frozen=True)
class SourceSet:
    """The definitions that loaded, by name, and the files that did not (each a
    :class:`DefinitionError` naming the file, the line and the key). A broken file is
    one broken source: the others stay usable."""

    definitions: dict[str, SourceDefinition]
    problems: dict[str, DefinitionError]  # by source name (the file's stem)


def load_sources(*directories: Path | None) -> SourceSet:
    """Definitions from the bundled directory, then each given directory (later wins),
    skipping the files that fail to load. A broken file that would replace a bundled
    definition of its name leaves that source broken, not quietly the bundled one."""
    found: dict[str, SourceDefinition] = {}
    problems: dict[str, DefinitionError] = {}
    for directory in (bundled_sources_dir(), *directories):
        if directory is None or not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            try:
                definition = load_definition(path)
            except DefinitionError as exc:
                found.pop(path.stem, None)
                problems[path.stem] = exc
                continue
            problems.pop(definition.name, None)
            found[definition.name] = definition
    return SourceSet(found, problems)


def load_definitions(*directories: Path | None) -> dict[str, SourceDefinition]:
    """Definitions from the bundled directory, then each given directory (later wins);
    the first file that fails to load raises its :class:`DefinitionError`
    (:func:`load_sources` skips it instead)."""
    sources = load_sources(*directories)
    if sources.problems:
        raise next(iter(sources.problems.values()))
    return sources.definitions
