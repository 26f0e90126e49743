"""References to the environment in a definition (``${NAME}``, ``${NAME:-default}``),
resolved when a source is opened, not when it is listed."""

from __future__ import annotations

import re
from collections.abc import Mapping

from connectors.definition._base import DefinitionError

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
