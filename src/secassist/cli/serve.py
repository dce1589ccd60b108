"""``secassist serve``: run the API and web pages with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the JSON API under /api/v1 and the web pages."""
    import uvicorn

    from secassist.cli.common import engine, settings
    from secassist.http.app import create_app

    # Fail before binding the port when the database is unusable: one clear message.
    s = settings()
    eng = engine()
    typer.echo(f"secassist serving on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/docs)")
    uvicorn.run(create_app(settings=s, engine=eng), host=host, port=port, log_level="info")
