"""The JSON API's routers, one module per domain, mounted under /api/v1 by the app factory."""
