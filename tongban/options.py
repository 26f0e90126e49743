"""How a sync runs, as one frozen object: built once from the settings by whoever starts
the run (the CLI, an Airflow task, the console) and passed down whole, so no layer
repeats a dozen keyword arguments and their defaults.

    >>> from tongban import Settings, SyncOptions
    >>> options = SyncOptions.from_settings(Settings(batch_size=500), full=True)
    >>> options.batch_size, options.full, options.region_check
    (500, True, 'historical')

The defaults of the settings are the ones named here (``BATCH_SIZE``, ``QUALITY_GROUP``,
:data:`DEFAULT_REGION_CHECK`), so a test's ``SyncOptions()`` runs as an unconfigured hub.
Collaborators and callbacks (a connector, ``on_batch``, the run id) are not options: they
stay parameters of the functions that take them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from tongban.identifiers.id_number import DEFAULT_REGION_CHECK, RegionCheck

if TYPE_CHECKING:
    from tongban.settings import Settings

__all__ = ["BATCH_SIZE", "DEFAULT_REGION_CHECK", "QUALITY_GROUP", "SyncOptions"]

BATCH_SIZE = 5000
"""Records written to the store in one transaction, with the cursor of their last page."""

QUALITY_GROUP = 25_000
"""Records validated together. A suite run costs about 0.1 s whatever its size, so larger
groups validate faster, but a group is in memory three times over (as received, mapped,
normalized; the batches as Arrow tables and the Python values they were made of), and
Great Expectations itself takes 250 MB: 25,000 keeps a sync of a million records near
470 MB at its peak, where 40,000 took 540 MB for 5% more speed (``bench/ingest.py``)."""

PREFETCH_PAGES = 2
"""Pages fetched ahead in a background thread while the previous ones are worked on."""


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """The settings of one sync run (``connectors.sync_source``, a partition, a load)."""

    batch_size: int = BATCH_SIZE
    """Records per store transaction (``TONGBAN_BATCH_SIZE``)."""
    quality_group: int = QUALITY_GROUP
    """Records the data-quality gate validates together (``TONGBAN_QUALITY_GROUP``)."""
    region_check: RegionCheck = DEFAULT_REGION_CHECK
    """How an ID number's region is checked (``TONGBAN_REGION_CHECK``)."""
    worker: bool = False
    """Extract, map and normalize in a worker process (``TONGBAN_SYNC_WORKER``)."""
    validate: bool = True
    """Pass every group through the source's data-quality gate before writing it."""
    full: bool = False
    """Read everything again from the start, whatever the saved cursor says."""
    prefetch_pages: int = PREFETCH_PAGES
    """Pages fetched ahead of the one being worked on (0: none)."""
    cache_dir: Path | None = None
    """Where connectors keep what they may reuse (a parsed SOAP WSDL); None: nothing kept."""

    def __post_init__(self) -> None:
        for name in ("batch_size", "quality_group"):
            if getattr(self, name) < 1:
                raise ValueError(f"sync option {name}: {getattr(self, name)!r} is not at least 1")
        if self.prefetch_pages < 0:
            raise ValueError(f"sync option prefetch_pages: {self.prefetch_pages!r} is negative")
        if self.region_check not in get_args(RegionCheck):
            raise ValueError(
                f"sync option region_check: {self.region_check!r} is not one of"
                f" {', '.join(get_args(RegionCheck))}"
            )

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SyncOptions:
        """The options the hub's settings give, with ``overrides`` (``full=True``) on top."""
        options = cls(
            batch_size=settings.batch_size,
            quality_group=settings.quality_group,
            region_check=settings.region_check,
            worker=settings.sync_worker,
            cache_dir=settings.cache_dir,
        )
        return options.but(**overrides) if overrides else options

    def but(self, **changes: Any) -> SyncOptions:
        """These options with ``changes``: ``options.but(full=True)``."""
        return dataclasses.replace(self, **changes)
