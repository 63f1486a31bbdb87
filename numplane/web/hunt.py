"""`GET /hunt/{number}?caller=ACCOUNT_ID`: the hunt for routers that do one lookup per call.

No GraphQL parsing or validation: the same answer as the `huntNumber` mutation, as JSON, with the same
Bearer authentication. A plain ASGI endpoint rather than a Starlette function endpoint: a router's call
path pays for no Request object, no exception-handling wrapper of its own and no response class, only
the answer's bytes (orjson) and its two headers, the same bytes and headers JSONResponse sends.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from numplane.domain.errors import DomainError, ErrorCode
from numplane.resolvers.context import Services
from numplane.resolvers.hunt import HuntResult, hunt_from_memory, hunt_number
from numplane.store.base import StoreUnavailable
from numplane.web import json_body
from numplane.web.credentials import REQUESTER, requester_of

_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.INVALID_NUMBER: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.STORE_UNAVAILABLE: 503,
}


def result_json(result: HuntResult) -> dict[str, Any]:
    account = result.account
    return {
        "number": result.number,
        "disposition": result.disposition.value,
        "account": {"id": account.id, "name": account.name} if account else None,
        "forceOutbound": result.force_outbound,
        "portCompleted": result.port_completed,
    }


def _error(code: ErrorCode, message: str) -> tuple[int, dict[str, Any]]:
    return _STATUS.get(code, 400), {"error": {"code": code.value, "message": message}}


class Hunt:
    """The endpoint, as an ASGI app (Starlette's Route still matches the path and checks the method)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, answer = self.answer_from_memory(scope) or await self.answer(scope)
        body = json_body.dumps(answer)
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def answer_from_memory(self, scope: Scope) -> tuple[int, dict[str, Any]] | None:
        """The answer without a coroutine, when the request shell found the requester and the hunt needs
        nothing from the store (a router's call to a known number); None otherwise: `answer` then."""
        requester = scope.get(REQUESTER)
        if requester is None:
            return None
        try:
            result = hunt_from_memory(self.services, requester, scope["path_params"]["number"], _caller(scope))
        except DomainError as error:
            return _error(error.code, error.message)
        return (200, result_json(result)) if result is not None else None

    async def answer(self, scope: Scope) -> tuple[int, dict[str, Any]]:
        services = self.services
        try:
            # The request shell left the requester it found in the scope; without the shell, look it up.
            requester = scope[REQUESTER] if REQUESTER in scope else await requester_of(services, HTTPConnection(scope))
            if requester is None:
                return _error(ErrorCode.UNAUTHENTICATED, "Send Authorization: Bearer <key> with a valid API key.")
            caller = _caller(scope)
            number: str = scope["path_params"]["number"]
            result = hunt_from_memory(services, requester, number, caller) or await hunt_number(
                services, requester, number, caller
            )
        except DomainError as error:
            return _error(error.code, error.message)
        except StoreUnavailable:
            return _error(ErrorCode.STORE_UNAVAILABLE, "The database cannot be reached right now; retry shortly.")
        return 200, result_json(result)


def _caller(scope: Scope) -> str | None:
    query = scope.get("query_string", b"")
    return (QueryParams(query).get("caller") or None) if query else None


def hunt_route(services: Services) -> Route:
    return Route("/hunt/{number}", Hunt(services), methods=["GET"], name="hunt")
