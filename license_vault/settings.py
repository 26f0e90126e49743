"""Settings of the license vault (``TONGBAN_VAULT_*``), loaded once and passed down.

    >>> s = VaultSettings(data_dir="/tmp/hub", key_encryption_key="k" * 32)
    >>> s.storage, s.local_root()
    ('local', PosixPath('/tmp/hub/objects'))

Key-encryption key (KEK): the seal private keys are stored encrypted with it. Set it with
``TONGBAN_VAULT_KEY_ENCRYPTION_KEY`` in a scaled deployment. When it is not set (the
embedded default), :func:`key_encryption_key` generates a random one once and keeps it in
``<data_dir>/vault/kek`` with permissions 0600; whoever can read that file can use the
seals, so back it up and protect it like the keys themselves.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tongban.errors import FatalError
from tongban.settings import Settings

__all__ = ["VaultSettings", "key_encryption_key", "load_vault_settings"]


class VaultSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TONGBAN_VAULT_", extra="forbid")

    data_dir: Path = Field(default=Path("data"), description="The hub's data directory.")
    storage: Literal["local", "s3"] = Field(
        default="local", description="Object storage: a local directory or an S3 server."
    )
    local_dir: Path | None = Field(
        default=None, description="Root of the local object store; default <data_dir>/objects."
    )
    s3_endpoint: str | None = Field(default=None, description="host:port of the S3 server.")
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_bucket: str = Field(default="tongban-licenses", min_length=3, max_length=63)
    s3_secure: bool = Field(default=True, description="Use HTTPS to reach the S3 server.")
    s3_region: str | None = None
    key_encryption_key: SecretStr | None = Field(
        default=None, description="Encrypts the seal keys at rest; default: <data_dir>/vault/kek."
    )
    verify_base_url: str = Field(
        default="http://127.0.0.1:8000/licenses/verify",
        description="Printed in the QR code as <verify_base_url>?id=<identifier>.",
    )
    font_file: Path | None = Field(
        default=None,
        description="TrueType font (.ttf/.ttc) embedded in e-license PDFs; default WenQuanYi.",
    )
    pki_base_url: str = Field(
        default="http://127.0.0.1:8000/licenses/pki",
        description="Where the exchange app serves the hub's CRLs and OCSP responder; named"
        " in every certificate the hub issues.",
    )
    crl_hours: int = Field(default=24, ge=1, description="How long a CRL or OCSP answer holds.")
    hub_name: str = Field(default="通办数据共享交换平台", description="Subject of the hub root CA.")
    root_validity_days: int = Field(default=20 * 365, ge=1)
    seal_validity_days: int = Field(default=5 * 365, ge=1)
    tsa_validity_days: int = Field(default=20 * 365, ge=1)

    def local_root(self) -> Path:
        return self.local_dir if self.local_dir is not None else self.data_dir / "objects"

    def kek_path(self) -> Path:
        return self.data_dir / "vault" / "kek"


def load_vault_settings(hub: Settings | None = None, **overrides: object) -> VaultSettings:
    """The vault settings from ``TONGBAN_VAULT_*``, in the hub's data directory."""
    if hub is not None:
        overrides.setdefault("data_dir", hub.data_dir)
    return VaultSettings(**overrides)  # type: ignore[arg-type]


def key_encryption_key(settings: VaultSettings) -> bytes:
    """The KEK from the settings, or the embedded one (created on first use, mode 0600)."""
    if settings.key_encryption_key is not None:
        kek = settings.key_encryption_key.get_secret_value().encode("utf-8")
        _check_strength(kek, "TONGBAN_VAULT_KEY_ENCRYPTION_KEY")
        return kek
    path = settings.kek_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        token = base64.urlsafe_b64encode(secrets.token_bytes(32))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(token + b"\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise FatalError(f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")
    kek = path.read_bytes().strip()
    _check_strength(kek, str(path))
    return kek


MIN_KEK_LENGTH = 32


def _check_strength(kek: bytes, where: str) -> None:
    """At least 32 characters, not one repeated, at least 8 distinct: a passphrase a
    person picks must be long, and the generated one (base64 of 32 random bytes) is."""
    if len(kek) < MIN_KEK_LENGTH or len(set(kek)) < 8:
        raise FatalError(
            f"{where}: the key-encryption key needs at least {MIN_KEK_LENGTH} characters and"
            " 8 distinct ones (generate one: python -c 'import secrets;"
            " print(secrets.token_urlsafe(32))')"
        )
