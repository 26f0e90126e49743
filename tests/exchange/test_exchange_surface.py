"""The exchange's public surface is pinned: other packages build on these names."""

import exchange


def test_public_surface_is_pinned():
    assert sorted(exchange.__all__) == [
        "Access",
        "AuditEntry",
        "AuditLog",
        "AuditVerdict",
        "Broken",
        "ChainReport",
        "Client",
        "ClientRegistry",
        "ExchangeSettings",
        "Grant",
        "GrantRegistry",
        "Hub",
        "Problem",
        "Purpose",
        "Refusal",
        "anchor_now",
        "answer",
        "audit_verdict",
        "authenticated_client",
        "create_app",
        "get_hub",
        "load_exchange_settings",
        "load_share_catalog",
        "request_access",
        "stated_purpose",
    ]
    for name in exchange.__all__:
        assert getattr(exchange, name) is not None
