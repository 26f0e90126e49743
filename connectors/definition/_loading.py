"""Reading definitions from YAML files: the bundled directory and the configured ones,
a bad file refused with one line naming the file, the line and the key."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from connectors.definition._base import DefinitionError
from connectors.definition._source import SourceDefinition


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
