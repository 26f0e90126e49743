"""The hub signs every evidence answer: a detached JWS over the response body.

    >>> signer = AnswerSigner(vault, code="exchange", name="通办数据共享交换平台")
    >>> token = signer.sign(body)          # "<header>..<signature>" (RFC 7515, appendix F)

The key is the hub's own e-seal in the license vault, certified by the vault's hub root,
so an approval system checks an answer with the same trust anchor as an e-license. The
protected header carries the chain (``x5c``: the exchange seal, then the hub root): any
JOSE library verifies the answer with the body put back between the dots.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

    from license_vault import Vault
    from license_vault.jws import JwsSealer

__all__ = ["SIGNATURE_HEADER", "AnswerSigner", "detach"]

SIGNATURE_HEADER = "X-JWS-Signature"


def detach(compact: str) -> str:
    """A compact JWS with its payload cut out (the body travels on its own)."""
    header, _payload, signature = compact.split(".")
    return f"{header}..{signature}"


class AnswerSigner:
    """Signs answers with the exchange's seal, created under the hub root on first use."""

    def __init__(self, vault: Vault, *, code: str, name: str) -> None:
        self._vault = vault
        self._code = code
        self._name = name
        self._sealer: JwsSealer | None = None
        self._chain: list[x509.Certificate] = []
        self._lock = threading.Lock()

    def _ready(self) -> JwsSealer:
        if self._sealer is None:
            with self._lock:
                if self._sealer is None:
                    from license_vault.jws import JwsSealer

                    seal = self._vault.seals.seal_for(self._code, self._name)
                    signer = self._vault.seals.signer(seal)
                    self._chain = list(signer.certificate_chain)
                    self._sealer = JwsSealer(signer, kid=seal.seal_id)
        return self._sealer

    def sign(self, body: bytes) -> str:
        return detach(self._ready().seal(body))

    def chain(self) -> list[x509.Certificate]:
        self._ready()
        return list(self._chain)
