"""What every part of a source definition shares: the error a bad one raises, and the
strict, frozen model each section is (an unknown key is refused, not ignored)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tongban.errors import FatalError


class DefinitionError(FatalError):
    """A source definition that cannot be used: the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
