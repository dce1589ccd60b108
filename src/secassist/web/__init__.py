"""Server-rendered pages (Jinja2): a thin adapter over services, like the API."""
