"""Federation: province, city and county hubs answer each other (省市县三级共享交换).

    >>> fed = mount(app, hub)                     # create_app does this for every hub
    >>> fed.peers.add("province", "省级平台", url=..., root_pem=..., level="parent")
    >>> fed.peers.set_offers("province", fed.client.catalog(fed.peers.require("province")))

A hub knows its peers (:class:`PeerRegistry`: address, hub root, regions, published
catalog). What the local store lacks and a peer offers is asked of that peer on the
client's behalf, with the same purpose, in a request sealed under this hub's root; the
peer answers under its own rules and grants, and its signed answer is passed on intact.
Both ends log the exchange in their own audit chain; ``check_answer`` is how a caller
checks a peer's sealed answer itself.
"""

from exchange.federation.api import mount, router
from exchange.federation.client import PeerAnswer, PeerClient, PeerUnavailable
from exchange.federation.credentials import PEER_HEADER, PeerCredentialError, check_answer
from exchange.federation.peers import LEVELS, Peer, PeerRegistry
from exchange.federation.relay import through, via
from exchange.federation.routing import (
    PEER_AUTH_KIND,
    Elsewhere,
    Federation,
    enrol,
    federated_client_id,
)
from exchange.federation.settings import FederationSettings, load_federation_settings

__all__ = [
    "LEVELS",
    "PEER_AUTH_KIND",
    "PEER_HEADER",
    "Elsewhere",
    "Federation",
    "FederationSettings",
    "Peer",
    "PeerAnswer",
    "PeerClient",
    "PeerCredentialError",
    "PeerRegistry",
    "PeerUnavailable",
    "check_answer",
    "enrol",
    "federated_client_id",
    "load_federation_settings",
    "mount",
    "router",
    "through",
    "via",
]
