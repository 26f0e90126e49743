"""Object storage for e-license documents and seal images, behind one small interface.

Objects are content-addressed: the key is ``sha256/ab/cd/<hex>.<suffix>``, so the same
bytes always land under the same key, nothing is ever overwritten or deleted, and every
read is checked against the hash in its key.

    >>> storage = LocalStorage(Path("/tmp/objects"))
    >>> ref = storage.put(b"%PDF-1.7 ...", "pdf", "application/pdf")
    >>> storage.get(ref.key) == b"%PDF-1.7 ..."
    True

``MinioStorage`` talks to any S3 server (MinIO in production) through the MinIO SDK;
``LocalStorage`` keeps the objects in a directory (the embedded default).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import urllib3
from minio import Minio
from minio.error import S3Error

from license_vault.settings import VaultSettings
from tongban.errors import FatalError, RetriableError

__all__ = [
    "LocalStorage",
    "MinioStorage",
    "ObjectCorrupted",
    "ObjectMissing",
    "ObjectRef",
    "ObjectStorage",
    "content_key",
    "open_storage",
]

T = TypeVar("T")
_KEY = re.compile(r"^sha256/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]{1,8})$")


class ObjectCorrupted(FatalError):
    """Stored bytes no longer match the hash in their key (rule ``hash.mismatch``)."""

    rule = "hash.mismatch"


class ObjectMissing(FatalError):
    """No object under the key."""

    rule = "object.missing"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    key: str
    sha256: str
    size: int


def content_key(data: bytes, suffix: str) -> ObjectRef:
    """The content-addressed key of ``data``."""
    digest = hashlib.sha256(data).hexdigest()
    key = f"sha256/{digest[:2]}/{digest[2:4]}/{digest}.{suffix}"
    if not _KEY.match(key):
        raise ValueError(f"suffix {suffix!r} must be 1-8 lower-case letters or digits")
    return ObjectRef(key, digest, len(data))


def _expected_hash(key: str) -> str:
    m = _KEY.match(key)
    if m is None:
        raise ValueError(f"{key!r} is not a content-addressed key (sha256/ab/cd/<hex>.<suffix>)")
    return m.group(3)


def _checked(key: str, data: bytes) -> bytes:
    actual = hashlib.sha256(data).hexdigest()
    if actual != _expected_hash(key):
        raise ObjectCorrupted(
            f"hash.mismatch: object {key} has SHA-256 {actual}; its content was altered"
        )
    return data


class ObjectStorage(Protocol):
    """Where documents live. Objects are written once and never deleted."""

    def put(self, data: bytes, suffix: str, content_type: str) -> ObjectRef: ...

    def get(self, key: str) -> bytes:
        """The object's bytes, checked against the hash in its key."""
        ...

    def exists(self, key: str) -> bool: ...

    def describe(self) -> str: ...


class LocalStorage:
    """Objects as files under ``root`` (written atomically, read-only afterwards)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        _expected_hash(key)
        return self.root / key

    def put(self, data: bytes, suffix: str, content_type: str) -> ObjectRef:
        ref = content_key(data, suffix)
        path = self._path(ref.key)
        if path.exists():
            return ref
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return ref

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(f"object.missing: no object {key} in {self.root}") from None
        return _checked(key, data)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def describe(self) -> str:
        return f"local directory {self.root}"


class MinioStorage:
    """Objects in an S3 bucket, through the MinIO SDK; the bucket is created if missing."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = True,
        region: str | None = None,
        timeout: float = 30.0,
    ):
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
        )
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
            region=region, http_client=http,
        )  # fmt: skip
        self.endpoint = endpoint
        self.bucket = bucket
        self._call(self._ensure_bucket)

    def _ensure_bucket(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as exc:
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except S3Error as exc:
            if exc.code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise FatalError(f"S3 {self.endpoint}: credentials refused: {exc.code}") from None
            raise FatalError(f"S3 {self.endpoint}/{self.bucket}: {exc.code}: {exc}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise RetriableError(f"S3 {self.endpoint} unreachable: {exc}") from None

    def put(self, data: bytes, suffix: str, content_type: str) -> ObjectRef:
        ref = content_key(data, suffix)
        if self.exists(ref.key):
            return ref
        self._call(
            lambda: self.client.put_object(
                self.bucket, ref.key, io.BytesIO(data), len(data),
                content_type=content_type, metadata={"sha256": ref.sha256},
            )
        )  # fmt: skip
        return ref

    def get(self, key: str) -> bytes:
        _expected_hash(key)

        def read() -> bytes:
            response = self.client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        try:
            data = self._call(read)
        except FatalError as exc:
            if "NoSuchKey" in str(exc):
                raise ObjectMissing(f"object.missing: no object {key} in {self.bucket}") from None
            raise
        return _checked(key, data)

    def exists(self, key: str) -> bool:
        _expected_hash(key)

        def stat() -> bool:
            try:
                self.client.stat_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                    return False
                raise
            return True

        return self._call(stat)

    def describe(self) -> str:
        return f"S3 bucket {self.bucket} at {self.endpoint}"


def open_storage(settings: VaultSettings) -> ObjectStorage:
    """The object storage the settings name."""
    if settings.storage == "local":
        return LocalStorage(settings.local_root())
    missing = [
        name
        for name, value in (
            ("s3_endpoint", settings.s3_endpoint),
            ("s3_access_key", settings.s3_access_key),
            ("s3_secret_key", settings.s3_secret_key),
        )
        if not value
    ]
    if missing:
        raise FatalError(
            "storage=s3 needs " + ", ".join(f"TONGBAN_VAULT_{m.upper()}" for m in missing)
        )
    assert settings.s3_access_key is not None and settings.s3_secret_key is not None
    return MinioStorage(
        settings.s3_endpoint or "",
        settings.s3_access_key.get_secret_value(),
        settings.s3_secret_key.get_secret_value(),
        settings.s3_bucket,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
