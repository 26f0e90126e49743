"""One battery for every object storage: the local directory and a real S3 server."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from license_vault.settings import VaultSettings
from license_vault.storage import (
    LocalStorage,
    MinioStorage,
    ObjectCorrupted,
    ObjectMissing,
    content_key,
    open_storage,
)
from tongban.errors import FatalError


def _corrupt_local(storage: LocalStorage, key: str) -> None:
    path = storage.root / key
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _corrupt_s3(storage: MinioStorage, key: str) -> None:
    response = storage.client.get_object(storage.bucket, key)
    data = bytearray(response.read())
    response.close()
    response.release_conn()
    data[len(data) // 2] ^= 0x01
    storage.client.put_object(storage.bucket, key, io.BytesIO(bytes(data)), len(data))


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        storage = LocalStorage(tmp_path / "objects")
        return storage, lambda key: _corrupt_local(storage, key)
    s3 = request.getfixturevalue("s3_server")
    storage = s3.storage()
    return storage, lambda key: _corrupt_s3(storage, key)


def test_put_get_round_trip_under_a_content_address(backend):
    storage, _ = backend
    data = b"%PDF-1.7\n" + os.urandom(2048)
    ref = storage.put(data, "pdf", "application/pdf")
    digest = hashlib.sha256(data).hexdigest()
    assert ref.key == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}.pdf"
    assert ref.sha256 == digest and ref.size == len(data)
    assert storage.exists(ref.key)
    assert storage.get(ref.key) == data


def test_putting_the_same_bytes_again_is_a_no_op(backend):
    storage, _ = backend
    first = storage.put(b"same bytes", "jws", "application/jose")
    assert storage.put(b"same bytes", "jws", "application/jose") == first
    assert storage.get(first.key) == b"same bytes"


def test_a_changed_byte_is_caught_on_read(backend):
    storage, corrupt = backend
    ref = storage.put(b"sealed document " * 64, "pdf", "application/pdf")
    corrupt(ref.key)
    with pytest.raises(ObjectCorrupted, match=r"hash\.mismatch"):
        storage.get(ref.key)


def test_missing_objects_and_bad_keys(backend):
    storage, _ = backend
    absent = content_key(b"never stored", "pdf").key
    assert not storage.exists(absent)
    with pytest.raises(ObjectMissing):
        storage.get(absent)
    with pytest.raises(ValueError, match="content-addressed"):
        storage.get("../../etc/passwd")
    with pytest.raises(ValueError, match="suffix"):
        storage.put(b"x", "PDF!", "application/pdf")


def test_the_interface_has_no_delete(backend):
    storage, _ = backend
    assert not hasattr(storage, "delete")


def test_the_bucket_is_created_and_reused(s3_server):
    bucket = "vault-bucket-made-here"
    first = s3_server.storage(bucket)
    assert first.client.bucket_exists(bucket)
    ref = first.put(b"kept", "txt", "text/plain")
    assert s3_server.storage(bucket).get(ref.key) == b"kept"


def test_wrong_credentials_are_a_fatal_error(s3_server):
    with pytest.raises(FatalError, match="credentials"):
        MinioStorage(s3_server.endpoint, s3_server.access_key, "wrong", "vault-x", secure=False)


def test_settings_choose_the_backend(tmp_path, s3_server):
    local = open_storage(VaultSettings(data_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "objects"
    with pytest.raises(FatalError, match="TONGBAN_VAULT_S3_ENDPOINT"):
        open_storage(VaultSettings(data_dir=tmp_path, storage="s3"))
    s3 = open_storage(
        VaultSettings(
            data_dir=tmp_path, storage="s3", s3_endpoint=s3_server.endpoint,
            s3_access_key=s3_server.access_key, s3_secret_key=s3_server.secret_key,
            s3_bucket="vault-from-settings", s3_secure=False,
        )
    )  # fmt: skip
    assert isinstance(s3, MinioStorage) and s3.bucket == "vault-from-settings"
