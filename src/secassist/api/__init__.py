"""The FastAPI JSON API under /api/v1 (mounted by :mod:`secassist.http.app`)."""
