"""The exchange's routers, one module per kind of answer."""
