"""`GET /hunt/{number}?caller=ACCOUNT_ID`: the hunt for routers that do one lookup per call.

Plain Starlette, no GraphQL parsing or validation: the same answer as the `huntNumber` mutation, as
JSON, with the same Bearer authentication.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from numplane.domain.errors import DomainError, ErrorCode
from numplane.resolvers.context import Services
from numplane.resolvers.hunt import HuntResult, hunt_from_memory, hunt_number
from numplane.store.base import StoreUnavailable
from numplane.web.credentials import requester_of

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


def _error(code: ErrorCode, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code.value, "message": message}}, status_code=_STATUS.get(code, 400))


def hunt_route(services: Services) -> Route:
    async def hunt(request: Request) -> JSONResponse:
        try:
            requester = await requester_of(services, request)
            if requester is None:
                return _error(ErrorCode.UNAUTHENTICATED, "Send Authorization: Bearer <key> with a valid API key.")
            caller = request.query_params.get("caller") or None
            number = request.path_params["number"]
            result = hunt_from_memory(services, requester, number, caller) or await hunt_number(
                services, requester, number, caller
            )
        except DomainError as error:
            return _error(error.code, error.message)
        except StoreUnavailable:
            return _error(ErrorCode.STORE_UNAVAILABLE, "The database cannot be reached right now; retry shortly.")
        return JSONResponse(result_json(result))

    return Route("/hunt/{number}", hunt, methods=["GET"], name="hunt")
