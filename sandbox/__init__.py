"""Runnable stand-ins for the department systems on the hub's edges, with seeded,
realistic, dirty data and a manifest of what the hub must make of it.

    >>> from sandbox import Sandbox, SandboxConfig, DirtRates
    >>> with Sandbox(tmp_path, SandboxConfig(seed=7, dirt=DirtRates())) as sb:  # doctest: +SKIP
    ...     sb.env["TONGBAN_GONGAN_WSDL"], sb.manifest.invalid_count()

Systems: 公安 population registry (SOAP, GBK), 市场监管 enterprise registry (signed REST),
民政 marriage front-end DB (SQL), 人社 insurance file drop (GBK CSV), 自然资源 real-estate
registry (SOAP, GB18030, continuation tokens, titles with several holders).
"""

from sandbox.box import DEFAULT_PORTS, Sandbox, SandboxConfig, serve
from sandbox.dirt import KINDS, DirtRates
from sandbox.enterprise import EnterpriseServer, signed_headers
from sandbox.filedrop import write_drop
from sandbox.frontdb import append_changes, write_frontdb
from sandbox.manifest import Manifest, ManifestEntry
from sandbox.population import PopulationServer
from sandbox.receivers import CaseReceiver
from sandbox.sources import SOURCES
from sandbox.world import Enterprise, License, Marriage, Person, World

__all__ = [
    "DEFAULT_PORTS",
    "KINDS",
    "SOURCES",
    "CaseReceiver",
    "DirtRates",
    "Enterprise",
    "EnterpriseServer",
    "License",
    "Manifest",
    "ManifestEntry",
    "Marriage",
    "Person",
    "PopulationServer",
    "Sandbox",
    "SandboxConfig",
    "World",
    "append_changes",
    "serve",
    "signed_headers",
    "write_drop",
    "write_frontdb",
]
