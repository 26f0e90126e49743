"""The license vault: e-licenses issued, e-sealed, stored and verified (电子证照库).

>>> vault = Vault(store, load_vault_settings(hub_settings))
>>> issued = vault.issue("11100000000013127D001:91110105MA01ABCD2X")
>>> vault.verify(vault.document(issued.identifier)).ok
True

The HTTP side (verify page, TSA, CRL, OCSP) is the router ``license_vault.http.router``.
"""

import importlib
from typing import TYPE_CHECKING, Any

# The public names load on first use (PEP 562): signing, PDF and S3 libraries take seconds
# to import, and `tongban` mounts this package's CLI for every command.
_WHERE = {
    "Catalog": "catalog", "LicenseType": "catalog", "load_catalog": "catalog",
    "ElicenseId": "identifier", "parse_identifier": "identifier",
    "Issued": "issue", "IssueReport": "issue", "NotInForce": "issue", "Vault": "issue",
    "issue_all": "issue",
    "HubTsa": "tsa", "timestamp_digest": "tsa", "verify_token": "tsa",
    "STATUSES": "status",
    "FileKeySigner": "keys", "Signer": "keys",
    "ElicenseRow": "records",
    "Seal": "seals", "SealRegistry": "seals",
    "VaultSettings": "settings", "load_vault_settings": "settings",
    "LocalStorage": "storage", "MinioStorage": "storage", "ObjectCorrupted": "storage",
    "ObjectStorage": "storage", "open_storage": "storage",
    "Reason": "verify", "Verdict": "verify", "Verifier": "verify",
}  # fmt: skip

if TYPE_CHECKING:
    from license_vault.catalog import Catalog, LicenseType, load_catalog
    from license_vault.identifier import ElicenseId, parse_identifier
    from license_vault.issue import Issued, IssueReport, NotInForce, Vault, issue_all
    from license_vault.keys import FileKeySigner, Signer
    from license_vault.records import ElicenseRow
    from license_vault.seals import Seal, SealRegistry
    from license_vault.settings import VaultSettings, load_vault_settings
    from license_vault.status import STATUSES
    from license_vault.storage import (
        LocalStorage,
        MinioStorage,
        ObjectCorrupted,
        ObjectStorage,
        open_storage,
    )
    from license_vault.tsa import HubTsa, timestamp_digest, verify_token
    from license_vault.verify import Reason, Verdict, Verifier


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'license_vault' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"license_vault.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "STATUSES",
    "Catalog",
    "ElicenseId",
    "ElicenseRow",
    "FileKeySigner",
    "HubTsa",
    "IssueReport",
    "Issued",
    "LicenseType",
    "LocalStorage",
    "MinioStorage",
    "NotInForce",
    "ObjectCorrupted",
    "ObjectStorage",
    "Reason",
    "Seal",
    "SealRegistry",
    "Signer",
    "Vault",
    "VaultSettings",
    "Verdict",
    "Verifier",
    "issue_all",
    "load_catalog",
    "load_vault_settings",
    "open_storage",
    "parse_identifier",
    "timestamp_digest",
    "verify_token",
]
