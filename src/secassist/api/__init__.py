"""The FastAPI JSON API under /api/v1 and the app factory that also mounts the web pages."""
