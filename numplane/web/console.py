"""The web console at /: its built files (hashed assets cached for a year), or a page saying how to build it."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from numplane.settings import Settings

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>numplane</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>numplane</h1><p>The API is at <code>/graphql</code>. The web console is not built.</p>
<p>Build it with <code>make console</code> (or <code>make serve</code>, which builds it when its sources changed),
then reload this page.</p></body></html>"""

# Vite names every asset after its content hash, so a changed file is a new URL: cache them forever.
IMMUTABLE = "public, max-age=31536000, immutable"


def console_dir(settings: Settings) -> Path:
    """Where the console's sources and builds live: NUMPLANE_CONSOLE_DIR, or console/ beside the package."""
    return Path(settings.console_dir) if settings.console_dir else Path(__file__).resolve().parents[2] / "console"


class ConsoleFiles(StaticFiles):
    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        hashed = "/assets/" in scope["path"]
        # An HTML page names the current hashes, so browsers must ask again every time (cheap: ETag).
        response.headers["cache-control"] = IMMUTABLE if hashed else "no-cache"
        return response


def console_routes(settings: Settings) -> list[BaseRoute]:
    build = console_dir(settings) / "dist"
    if (build / "index.html").is_file():
        return [Mount("/", app=ConsoleFiles(directory=build, html=True), name="console")]

    async def not_built(_request: Request) -> Response:
        return HTMLResponse(NOT_BUILT)

    return [Route("/", not_built)]
