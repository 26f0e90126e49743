"""The exchange's routers, one module per kind of answer."""

__all__: list[str] = []  # each router module is imported by the app by name
