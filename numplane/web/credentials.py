"""The API key a request carries: `Authorization: Bearer <key>`, read the same way by every route; and the
requester it belongs to, looked up once per request."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from numplane.resolvers.context import Requester, Services
from numplane.resolvers.keys import authenticate

REQUESTER = "numplane.requester"
"""The scope key where the rate limits (numplane.web.shell) leave the requester they found for a request (None:
no valid key), so its route does not hash and look up the key again. Absent when nobody looked (a WebSocket,
a route outside the rate limits) or the store could not be reached to check the key."""


def bearer(value: str | None) -> str | None:
    """The key of an Authorization header's value, or None when it is not a Bearer credential."""
    scheme, _, token = (value or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def requester_of(services: Services, request: HTTPConnection) -> Requester | None:
    """The requester behind a request's key (None without a valid one): the one found for it already, or
    looked up now."""
    if REQUESTER in request.scope:
        found: Requester | None = request.scope[REQUESTER]
        return found
    token = bearer(request.headers.get("authorization"))
    return await authenticate(services, token) if token else None
