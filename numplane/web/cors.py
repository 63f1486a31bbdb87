"""Browsers on other origins may call the API (/graphql, /hunt) only when their origin is allowed.

Requests from an origin that is not allowed bypass CORS entirely: they get no CORS header at all (a preflight
is simply not answered as one), so the browser blocks the page. Same-origin pages (the console) need nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Scope, Send
from strawberry.http.websocket_origin import normalize_origin


def origin_list(setting: str) -> list[str]:
    """NUMPLANE_ALLOWED_ORIGINS: comma-separated origins, normalised as browsers send them."""
    origins = (normalize_origin(o) if o.strip() != "*" else "*" for o in setting.split(",") if o.strip())
    return [o for o in origins if o]


class ApiCors:
    """The CORS policy of the API paths, for the request shell (numplane.web.shell) to apply: Starlette's
    CORSMiddleware answers preflights and adds the headers, for the requests `applies` picks."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.origins = frozenset(origins)
        self.policy = CORSMiddleware(
            app, allow_origins=sorted(self.origins), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"], max_age=600,
            expose_headers=["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
        )

    def applies(self, path: str, origin: bytes | None) -> bool:
        """Whether a request to `path` with this Origin header (None: none) is a cross-origin API call from
        an allowed origin."""
        if origin is None or not (path == "/graphql" or path.startswith("/hunt/")):
            return False
        return "*" in self.origins or normalize_origin(origin.decode("latin-1")) in self.origins

    def preflight(self, scope: Scope) -> Response | None:
        """The answer to a preflight (CORSMiddleware's), or None for a request that is not one."""
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            return self.policy.preflight_response(request_headers=headers)
        return None

    async def send(self, message: Message, send: Send, scope: Scope) -> None:
        """Send `message`, the response's start with the CORS headers added."""
        if message["type"] != "http.response.start":
            await send(message)
            return
        await self.policy.send(message, send, Headers(scope=scope))
