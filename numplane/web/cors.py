"""Browsers on other origins may call the API (/graphql, /hunt) only when their origin is allowed.

Requests from an origin that is not allowed bypass CORS entirely: they get no CORS header at all (a preflight
is simply not answered as one), so the browser blocks the page. Same-origin pages (the console) need nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.http.websocket_origin import normalize_origin


def origin_list(setting: str) -> list[str]:
    """NUMPLANE_ALLOWED_ORIGINS: comma-separated origins, normalised as browsers send them."""
    origins = (normalize_origin(o) if o.strip() != "*" else "*" for o in setting.split(",") if o.strip())
    return [o for o in origins if o]


class ApiCors:
    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)
        self.cors = CORSMiddleware(
            app, allow_origins=sorted(self.origins), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"], max_age=600,
            expose_headers=["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.applies(scope):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def applies(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if not (path == "/graphql" or path.startswith("/hunt/")):
            return False
        origin = Headers(scope=scope).get("origin")
        return origin is not None and ("*" in self.origins or normalize_origin(origin) in self.origins)
