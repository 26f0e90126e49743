"""From a definition to a live connector: environment references resolved, secrets
looked up by name, the transport's connector class chosen.

    >>> connector = open_connector(definition, env=os.environ)  # doctest: +SKIP
    >>> for page in connector.pages(store.cursor(definition.name)): ...  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.base import Connector
from connectors.definition import DefinitionError, SourceDefinition, resolve_env
from connectors.files import FilesConnector
from connectors.rest import RestConnector
from connectors.soap import SoapConnector
from connectors.sql import SqlConnector

__all__ = ["CONNECTORS", "open_connector", "resolved_transport"]

CONNECTORS: dict[str, Any] = {
    "rest": RestConnector,
    "soap": SoapConnector,
    "sql": SqlConnector,
    "files": FilesConnector,
}
"""Connector class per transport kind: a new kind of system is a new entry here."""


def _resolve(value: Any, env: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):
        return resolve_env(value, env, where=where)
    if isinstance(value, dict):
        return {k: _resolve(v, env, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, env, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def resolved_transport(definition: SourceDefinition, env: Mapping[str, str]) -> Any:
    """The transport with ``${NAME}`` references replaced from ``env``."""
    raw = definition.transport.model_dump(by_alias=True)
    resolved = _resolve(raw, env, f"{definition.name}: transport")
    return type(definition.transport).model_validate(resolved)


def _secrets(transport: Any, env: Mapping[str, str], name: str) -> dict[str, str]:
    auth = getattr(transport, "auth", None)
    found: dict[str, str] = {}
    if auth is None:
        return found
    for field, value in auth.model_dump().items():
        if field.endswith("_env") and value:
            secret = env.get(value)
            if not secret:
                raise DefinitionError(
                    f"{name}: secret {field[:-4]} is read from environment variable {value},"
                    " which is not set"
                )
            found[value] = secret
    return found


def open_connector(
    definition: SourceDefinition,
    *,
    env: Mapping[str, str],
    cache_dir: Path | None = None,
) -> Connector:
    transport = resolved_transport(definition, env)
    secrets = _secrets(transport, env, definition.name)
    cls = CONNECTORS[transport.kind]
    kwargs: dict[str, Any] = {"record_id": definition.record_id, "secrets": secrets}
    if cls is SoapConnector:
        kwargs["cache_dir"] = cache_dir
    if cls in (SqlConnector, FilesConnector, SoapConnector):  # schemas we can read
        kwargs["source_fields"] = _source_fields(definition.fields())
    if cls is RestConnector and transport.schema_ is not None:  # checked to the leaves
        kwargs["source_fields"] = _record_paths(definition)
    connector: Connector = cls(definition.name, transport, **kwargs)
    return connector


def _source_fields(fields: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Mapping key to the source field it reads, a structure's fields included."""
    found: dict[str, str] = {}
    for target, m in fields.items():
        if m.each is not None:  # its fields are read in each item: a path from the record
            found[f"{prefix}{target}.each"] = m.each
            for name, part in m.parts().items():
                if part.source is not None:
                    found[f"{prefix}{target}.{name}"] = f"{m.each}.{part.source}"
        elif m.fields is not None:
            found.update(_source_fields(m.parts(), f"{prefix}{target}."))
        elif m.source is not None:
            found[f"{prefix}{target}"] = m.source
    return found


def _record_paths(definition: SourceDefinition) -> dict[str, str]:
    """Mapping key to the whole path it reads from a source record: a structure's
    fields, a list's items under its ``each``, and each child stream's paths under its
    own ``each`` (``$parent.`` paths read the record itself)."""

    def under(each: str, path: str) -> str:
        return path.removeprefix("$parent.") if path.startswith("$parent.") else f"{each}.{path}"

    def of(fields: Mapping[str, Any], prefix: str, each: str | None) -> dict[str, str]:
        found: dict[str, str] = {}
        for target, m in fields.items():
            if m.each is not None:
                path = m.each if each is None else under(each, m.each)
                found[f"{prefix}{target}.each"] = path
                found.update(of(m.parts(), f"{prefix}{target}.fields.", path))
            elif m.fields is not None:
                found.update(of(m.parts(), f"{prefix}{target}.", each))
            elif m.source is not None:
                found[f"{prefix}{target}"] = m.source if each is None else under(each, m.source)
        return found

    found = of(definition.fields(), "mapping.", None)
    for i, child in enumerate(definition.children):
        key = f"children[{i}]"
        found[f"{key}.each"] = child.each
        found[f"{key}.record_id"] = under(child.each, child.record_id)
        found.update(of(child.fields(), f"{key}.mapping.", child.each))
    return found
