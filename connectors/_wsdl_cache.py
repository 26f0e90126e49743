"""The WSDL cache of the SOAP connector: what zeep loads is kept in memory until the
service bound, only then written; a cached copy that proves unusable is dropped."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from zeep.cache import Base

__all__ = ["WsdlCache"]


class WsdlCache(Base):
    """The WSDL (and what it imports) as zeep loads it: kept in memory until it proved
    usable, only then written to ``directory`` (one file per URL, fresh for ``timeout``
    seconds). A cached copy that turns out unusable is dropped (:meth:`drop`)."""

    def __init__(self, directory: Path | None, timeout: float = 24 * 3600) -> None:
        self.directory, self.timeout = directory, timeout
        self.fresh: dict[str, bytes] = {}
        self.used: set[str] = set()  # URLs answered from the directory this time

    def _path(self, url: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{hashlib.sha256(url.encode()).hexdigest()}.xml"

    def add(self, url: str, content: bytes) -> None:
        self.fresh[url] = content

    def get(self, url: str) -> bytes | None:
        if url in self.fresh:
            return self.fresh[url]
        if self.directory is None:
            return None
        path = self._path(url)
        try:
            if time.time() - path.stat().st_mtime > self.timeout:
                return None
            content = path.read_bytes()
        except OSError:
            return None
        self.used.add(url)
        return content

    def keep(self) -> None:
        """The WSDL proved usable: write what was fetched."""
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            for url, content in self.fresh.items():
                path = self._path(url)
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_bytes(content)
                tmp.replace(path)
        self.fresh.clear()
        self.used.clear()

    def drop(self) -> bool:
        """Forget everything loaded this time; True when a cached copy was among it."""
        had_cached = bool(self.used)
        for url in self.used:
            self._path(url).unlink(missing_ok=True)
        self.fresh.clear()
        self.used.clear()
        return had_cached
