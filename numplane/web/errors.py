"""JSON error bodies for requests refused before GraphQL runs (same shape as GraphQL errors)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from numplane.domain.errors import ErrorCode


def error_response(status: int, code: ErrorCode | str, message: str, **extensions: object) -> JSONResponse:
    value = code.value if isinstance(code, ErrorCode) else code
    body = {"errors": [{"message": message, "extensions": {"code": value, **extensions}}]}
    return JSONResponse(body, status_code=status)
