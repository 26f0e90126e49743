"""What the exchange holds for the life of a process: store, catalogs, registries, signer.

    >>> hub = Hub(load_settings(), ExchangeSettings())
    >>> hub.clients.add("zwfw-bj", "北京市政务服务审批系统")

One :class:`Hub` per process, built by :func:`exchange.create_app` and found by the
request dependencies as ``request.app.state.hub``. The license vault (signing and PDF
libraries, seconds to import) is built on first use.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from exchange.audit import AuditLog
from exchange.catalog import ItemCatalog, ShareCatalog, load_items, load_share_catalog
from exchange.clients import ClientRegistry
from exchange.grants import GrantRegistry
from exchange.ratelimit import RateLimiter
from exchange.settings import ExchangeSettings
from exchange.signing import AnswerSigner
from tongban.settings import Settings
from tongban.store import MergeRules, Store

if TYPE_CHECKING:
    from exchange.anchor import Anchor
    from exchange.federation import Federation
    from license_vault import SealRegistry, Vault

__all__ = ["POOL_SIZE", "Hub"]

# Store connections of an API process, all kept open: no more than SQLAlchemy's default
# allows (5 kept, 10 more opened and closed as needed), but none opened per request (a
# PostgreSQL backend started each time). A request holds one for part of its work.
POOL_SIZE = 15


class Hub:
    def __init__(
        self,
        settings: Settings,
        config: ExchangeSettings | None = None,
        *,
        store: Store | None = None,
        share: ShareCatalog | None = None,
        items: ItemCatalog | None = None,
    ) -> None:
        self.settings = settings
        self.config = config or ExchangeSettings()
        if store is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            store = Store(settings.store_url, rules=MergeRules.load(), pool_size=POOL_SIZE)
        self.store = store
        self.share = share or load_share_catalog()
        self.items = items or load_items(self.share)
        self.clients = ClientRegistry(store, self.config)
        self.grants = GrantRegistry(store, self.share)
        self.audit = AuditLog(store)
        self.limiter = RateLimiter(store, window_s=self.config.rate_window_s)
        self.federation: Federation | None = None  # set by exchange.federation.mount
        self._vault: Vault | None = None
        self._signer: AnswerSigner | None = None
        self._seals: SealRegistry | None = None
        self._lock = threading.Lock()

    def dispose(self) -> None:
        """Close the connections the exchange opened beside the store's own."""
        self.limiter.dispose()
        self.audit.dispose()

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            with self._lock:
                if self._vault is None:
                    from license_vault import Vault, load_vault_settings

                    self._vault = Vault(self.store, load_vault_settings(self.settings))
        return self._vault

    @property
    def seals(self) -> SealRegistry:
        """The seal registry alone, without the vault's PDF side (answers, anchors)."""
        if self._seals is None:
            with self._lock:
                if self._seals is None:
                    from license_vault import SealRegistry, load_vault_settings, open_storage

                    vs = load_vault_settings(self.settings)
                    self._seals = SealRegistry(self.store, open_storage(vs), vs)
        return self._seals

    @property
    def signer(self) -> AnswerSigner:
        """The answers' signer, under the exchange's own seal."""
        if self._signer is None:
            seals = self.seals
            with self._lock:
                if self._signer is None:
                    name = f"{seals.settings.hub_name} 数据交换"
                    self._signer = AnswerSigner(seals, code=self.config.hub_seal_code, name=name)
        return self._signer

    def anchor(self) -> Anchor | None:
        """Time-stamp the audit chain's head now (see :mod:`exchange.anchor`)."""
        from exchange.anchor import anchor_now

        root = self.config.anchor_root_path(self.settings.data_dir)
        return anchor_now(self.store, self.seals, root)
