"""Data files shipped with the core: GB/T 2260 region codes, GB 3304 ethnicities, the
merge rules and sample files (read with ``importlib.resources``)."""

__all__: list[str] = []
