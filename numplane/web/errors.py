"""JSON error bodies for requests refused before GraphQL runs (same shape as GraphQL errors)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from numplane.domain.errors import ErrorCode


def error_response(status: int, code: ErrorCode | str, message: str) -> JSONResponse:
    value = code.value if isinstance(code, ErrorCode) else code
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": value}}]}, status_code=status)
