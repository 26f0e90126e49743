"""Source definitions: one YAML file per department system, validated by a schema.

A definition says how to reach the system (transport, endpoint, auth, pagination, cursor)
and how its fields map to the canonical model. Secrets never sit in the file: auth names
the environment variable that holds them (``password_env``, ``secret_env``, ...), and any
string may refer to the environment as ``${NAME}`` or ``${NAME:-default}``; both are
resolved when the source is opened, not when it is listed.

The parts live in one module each: the transports, the field mapping, the source,
the environment references and the YAML loading; import them from here.

    >>> definition = load_definition(Path("connectors/sources/scjg_enterprise.yaml"))
    >>> definition.entity, definition.transport.kind
    ('enterprise', 'rest')
"""

from connectors.definition._base import DefinitionError
from connectors.definition._env import resolve_env
from connectors.definition._fields import LIST_FIELDS, EntityName, FieldMapping
from connectors.definition._loading import (
    SourceSet,
    bundled_sources_dir,
    load_definition,
    load_definitions,
    load_sources,
)
from connectors.definition._source import ChildRecords, Quality, SourceDefinition
from connectors.definition._transport import (
    ApiKeyAuth,
    BearerAuth,
    FilesTransport,
    HmacAuth,
    Incremental,
    NoAuth,
    RestAuth,
    RestSchema,
    RestTransport,
    Retry,
    SoapContinuation,
    SoapTransport,
    SqlTransport,
    Timeouts,
    Transport,
    WsseAuth,
)

__all__ = [
    "LIST_FIELDS",
    "ApiKeyAuth",
    "BearerAuth",
    "ChildRecords",
    "DefinitionError",
    "EntityName",
    "FieldMapping",
    "FilesTransport",
    "HmacAuth",
    "Incremental",
    "NoAuth",
    "Quality",
    "RestAuth",
    "RestSchema",
    "RestTransport",
    "Retry",
    "SoapContinuation",
    "SoapTransport",
    "SourceDefinition",
    "SourceSet",
    "SqlTransport",
    "Timeouts",
    "Transport",
    "WsseAuth",
    "bundled_sources_dir",
    "load_definition",
    "load_definitions",
    "load_sources",
    "resolve_env",
]
