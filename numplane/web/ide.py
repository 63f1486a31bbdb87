"""GraphiQL in debug mode, built from npm with the console and served by numplane (never from a CDN).

A browser GET of /graphql asking for HTML gets the IDE page; its scripts and styles are under /graphiql/.
Everything else on /graphql goes to the API as before.
"""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import Headers, QueryParams
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from numplane.web.console import ConsoleFiles

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GraphiQL</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>GraphiQL is not built</h1><p>numplane serves GraphiQL from local files built with the console.
Run <code>make console</code>, then reload. The API itself is at <code>POST /graphql</code>.</p></body></html>"""


def wants_ide(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    params = QueryParams(scope["query_string"])
    if params.get("query") is not None or params.get("extensions") is not None:  # a persisted query: no text
        return False
    accept = Headers(scope=scope).get("accept", "")
    return "text/html" in accept or "*/*" in accept


class WithGraphiQL:
    """Wraps the /graphql endpoint: the IDE page for browsers, the API for everything else."""

    def __init__(self, api: ASGIApp, build: Path) -> None:
        self.api = api
        self.page = build / "index.html"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not wants_ide(scope):
            await self.api(scope, receive, send)
            return
        response: Response = HTMLResponse(NOT_BUILT)
        if self.page.is_file():
            response = FileResponse(self.page, headers={"cache-control": "no-cache"})
        await response(scope, receive, send)


def ide_assets(build: Path) -> list[BaseRoute]:
    return [Mount("/graphiql", app=ConsoleFiles(directory=build, check_dir=False), name="graphiql")]
