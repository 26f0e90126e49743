"""A REST mapping checked against the system's own schema: its OpenAPI document (or a
JSON Schema of its answers), fetched with the same retry and fatal classes as the data
calls, before any record is read.

Every source path of the mapping (nested steps, ``[n]`` and ``[*]`` included) must name
properties the schema of one record declares; one that does not is refused naming the
mapping key and the nearest real path. Parts the schema leaves open (no declared
properties, a map's ``additionalProperties``, a ``$ref`` into another document) are not
checked.

    >>> record = {"type": "object", "properties": {"name": {"type": "string"}}}
    >>> missing_paths(record, {"name": "nmae"})
    [('name', 'nmae', 'name')]
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

import requests
import yaml

from connectors.base import call_with_retries
from connectors.definition import RestTransport
from tongban.errors import FatalError, RetriableError

__all__ = ["check_rest_mapping", "missing_paths", "record_schema"]

_STEP = re.compile(r"([^.\[\]]+)|\[(\*|\d+)\]")
_ANY = object()  # a step into every item: [*] or [n]


def _steps(path: str) -> list[Any]:
    steps: list[Any] = []
    for name, index in _STEP.findall(path):
        if index or name.isdigit():
            steps.append(_ANY)
        else:
            steps.append(name)
    return steps


def _text(steps: list[Any], original: str) -> str:
    out = ""
    for step in steps:
        if step is _ANY:
            out += "[*]" if "[*]" in original else "[0]"
        else:
            out += ("." if out else "") + step
    return out


class _Doc:
    """A schema document, following its local ``$ref``s."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def resolve(self, node: Any) -> Any:
        for _ in range(64):
            if not isinstance(node, Mapping) or "$ref" not in node:
                return node
            ref = str(node["$ref"])
            if not ref.startswith("#"):
                return None  # in another document: not followed
            node = self.root
            for part in filter(None, ref[1:].split("/")):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, Mapping) or part not in node:
                    return None
                node = node[part]
        return None

    def properties(self, node: Any) -> dict[str, Any] | None:
        """The declared properties of an object schema; None when it is open."""
        node = self.resolve(node)
        if not isinstance(node, Mapping):
            return None
        if isinstance(node.get("additionalProperties"), Mapping):
            return None  # a map: any key
        found: dict[str, Any] = {}
        declared = "properties" in node
        for key in ("allOf", "oneOf", "anyOf"):
            for part in node.get(key) or ():
                inner = self.properties(part)
                if inner is None:
                    return None
                found.update(inner)
                declared = True
        found.update(node.get("properties") or {})
        return found if declared else None

    def items(self, node: Any) -> Any:
        node = self.resolve(node)
        if not isinstance(node, Mapping):
            return None
        if "items" in node:
            return node["items"]
        for key in ("allOf", "oneOf", "anyOf"):
            for part in node.get(key) or ():
                found = self.items(part)
                if found is not None:
                    return found
        return None


def missing_paths(
    record: Any, wanted: Mapping[str, str], doc: _Doc | None = None
) -> list[tuple[str, str, str | None]]:
    """``(key, path, nearest real path)`` for each wanted path the record's schema does
    not declare (``doc``: the document holding ``$ref`` targets)."""
    d = doc or _Doc(record)
    problems = []
    for key, path in wanted.items():
        steps = _steps(path)
        node = record
        for k, step in enumerate(steps):
            if step is _ANY:
                node = d.items(node)
                if node is None:
                    break  # not declared an array: left to the data
                continue
            props = d.properties(node)
            if props is None:
                break
            if step not in props:
                near = difflib.get_close_matches(step, list(props), n=1, cutoff=0.3)
                hint = _text([*steps[:k], near[0], *steps[k + 1 :]], path) if near else None
                problems.append((key, path, hint))
                break
            node = props[step]
    return problems


def record_schema(document: Any, transport: RestTransport, where: str) -> tuple[_Doc, Any]:
    """The schema of one record in ``document`` (an OpenAPI document or a JSON Schema of
    the response body), walked down ``records_path``."""
    spec = transport.schema_
    assert spec is not None
    doc = _Doc(document)
    if spec.openapi is not None:
        node = _response(document, spec.response or f"GET {transport.path}", where)
    else:
        node = document
    for step in filter(None, transport.records_path.split(".")):
        props = doc.properties(node)
        if props is None:
            return doc, None
        if step not in props:
            raise FatalError(
                f"{where} declares no {transport.records_path!r} in its response (records_path);"
                f" its fields there: {', '.join(props) or 'none'}"
            )
        node = props[step]
    return doc, doc.items(node)


def _response(document: Any, operation: str, where: str) -> Any:
    method, _, path = operation.partition(" ")
    paths = document.get("paths") if isinstance(document, Mapping) else None
    if not isinstance(paths, Mapping):
        raise FatalError(f"{where} is not an OpenAPI document (it has no paths)")
    op = (paths.get(path) or {}).get(method.lower()) if isinstance(paths, Mapping) else None
    if not isinstance(op, Mapping):
        near = difflib.get_close_matches(path, [str(p) for p in paths], n=1, cutoff=0.3)
        hint = f" (nearest: {near[0]!r})" if near else ""
        raise FatalError(f"{where} has no operation {operation}{hint}")
    responses = op.get("responses") or {}
    codes = sorted(c for c in map(str, responses) if c.startswith("2")) or ["default"]
    answer = responses.get(codes[0]) or responses.get(int(codes[0]) if codes[0].isdigit() else "")
    if not isinstance(answer, Mapping):
        raise FatalError(f"{where}: {operation} declares no successful response")
    if "schema" in answer:  # Swagger 2
        return answer["schema"]
    content = answer.get("content") or {}
    kinds = [k for k in content if "json" in str(k)] or list(content)
    if not kinds:
        raise FatalError(f"{where}: {operation} declares no JSON response body")
    return (content[kinds[0]] or {}).get("schema")


def _fetch(session: requests.Session, url: str, name: str, kind: str, t: RestTransport) -> Any:
    try:
        response = session.get(url, timeout=(t.timeout.connect, t.timeout.read))
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise RetriableError(f"{name}: {type(exc).__name__} fetching {kind} {url}") from exc
    status = response.status_code
    message = f"{name}: HTTP {status} fetching {kind} {url}"
    if status == 429 or status >= 500:
        raise RetriableError(message)
    if status >= 400:
        raise FatalError(f"{message}: {response.text[:200].strip() or response.reason}")
    try:
        if url.split("?")[0].endswith((".yaml", ".yml")):
            return yaml.safe_load(response.content)
        return json.loads(response.content)
    except (ValueError, yaml.YAMLError) as exc:  # a gateway's error page in its place
        raise RetriableError(f"{message}: not a readable document: {exc}") from exc


def check_rest_mapping(
    name: str, transport: RestTransport, session: requests.Session, wanted: Mapping[str, str]
) -> None:
    """Fetch the system's schema and refuse a path it does not declare; ``wanted`` maps
    each definition key (``mapping.name``, ``children[0].each``) to the path it reads."""
    spec = transport.schema_
    if spec is None or not wanted:
        return
    ref = spec.openapi or spec.json_schema
    assert ref is not None
    kind = "the OpenAPI document" if spec.openapi else "the JSON Schema"
    url = ref if "://" in ref else transport.base_url.rstrip("/") + "/" + ref.lstrip("/")
    document = call_with_retries(
        lambda: _fetch(session, url, name, kind, transport), transport.retry,
        what=f"{name} GET {url}",
    )  # fmt: skip
    where = f"{kind} {url}"
    doc, record = record_schema(document, transport, f"{name}: {where}")
    if record is None:
        return
    problems = [
        f"{key}: source field {path!r} is not in the records of {where}"
        + (f" (nearest: {near!r})" if near else "")
        for key, path, near in missing_paths(record, wanted, doc)
    ]
    if problems:
        raise FatalError(f"{name}: {'; '.join(problems)}")
