"""`GET /port-documents/{requestId}/{kind}`: the bytes of a port request's document.

Served here rather than inlined in GraphQL: a 10 MiB scan as base64 would be a 13.4 MiB JSON string
built, encoded and parsed whole on both sides, cached by no one; a plain route sends the bytes with their
content type. The same Bearer key and the same visibility as `portRequest(id)`: a request the key's
account may not see is 404 exactly like a missing one.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.port_requests import DocumentKind
from numplane.resolvers.context import Services
from numplane.resolvers.keys import authenticate
from numplane.resolvers.port_requests import document_bytes
from numplane.store.base import StoreUnavailable
from numplane.web.credentials import bearer
from numplane.web.errors import error_response
from numplane.web.graphql import UNAUTHENTICATED

_STATUS = {ErrorCode.NOT_FOUND: 404, ErrorCode.FORBIDDEN: 403, ErrorCode.UNAUTHENTICATED: 401}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]")


def port_documents_route(services: Services) -> Route:
    async def download(request: Request) -> Response:
        try:
            token = bearer(request.headers.get("authorization"))
            requester = await authenticate(services, token) if token else None
            if requester is None:
                return error_response(401, ErrorCode.UNAUTHENTICATED, UNAUTHENTICATED)
            kind = _kind(request.path_params["kind"])
            document, data = await document_bytes(services, requester, request.path_params["request_id"], kind)
        except DomainError as error:
            return error_response(_STATUS.get(error.code, 400), error.code, error.message)
        except StoreUnavailable:
            return error_response(503, ErrorCode.STORE_UNAVAILABLE, "The database cannot be reached; retry shortly.")
        filename = _UNSAFE.sub("_", document.filename)[:100] or kind.value
        return Response(data, media_type=document.content_type, headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # The type was checked by content on upload; browsers must not guess another one.
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        })

    return Route("/port-documents/{request_id}/{kind}", download, methods=["GET"])


def _kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value)
    except ValueError:
        raise DomainError(ErrorCode.NOT_FOUND, f"No document kind {value[:40]!r}; "
                          f"use one of {[k.value for k in DocumentKind]}.") from None
