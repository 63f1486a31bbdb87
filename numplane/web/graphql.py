"""The /graphql endpoint: authenticate once, bound the body, then let strawberry run the operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from cross_web import HTTPException as StrawberryHTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from numplane.domain import idempotency as idempotency_rules
from numplane.domain.errors import DomainError, ErrorCode
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.keys import authenticate
from numplane.schema.context import RequestContext
from numplane.schema.request_errors import BAD_REQUEST
from numplane.store.base import StoreUnavailable
from numplane.web import body, idempotency, json_body, request_log
from numplane.web.cors import origin_list
from numplane.web.credentials import bearer, requester_of
from numplane.web.errors import error_response
from numplane.web.fanout import Broadcasts, Pacer
from numplane.web.key_watch import KeyWatch
from numplane.web.persisted import PersistedQueries, PersistedQueryRefused, wants_persisted
from numplane.web.rate_limits import RateLimits
from numplane.web.websocket import BoundedWebSocketAdapter, KeyConnections, NumplaneTransportWS

IDEMPOTENCY_HEADER = "idempotency-key"
UNAUTHENTICATED = "Send a valid API key: Authorization: Bearer <key> (missing, unknown or revoked key)."
WRONG_METHOD = "GraphQL is served over POST (any operation) and GET (queries), or a WebSocket at the same path."


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower() == "multipart/form-data"


def replay(raw: bytes) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return receive


class NumplaneGraphQL(GraphQL[RequestContext, None]):
    websocket_adapter_class = BoundedWebSocketAdapter
    graphql_transport_ws_handler_class = NumplaneTransportWS

    def __init__(self, schema: BaseSchema, services: Services) -> None:
        settings = services.settings
        origins = origin_list(settings.allowed_origins)  # the same origins CORS allows
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.debug else None,
            allowed_origins=origins,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            # Port documents arrive as GraphQL multipart requests (`Upload`). Browsers send multipart
            # forms cross-site without a preflight, but never with our Authorization header, which every
            # request needs: a forged form is unauthenticated.
            multipart_uploads_enabled=True,
        )
        self.services = services
        # WebSocket policy (numplane.web.websocket), per process.
        self.key_connections = KeyConnections(settings.max_websockets_per_key)
        self.key_watch = KeyWatch(services, settings.ws_key_check_seconds)
        self.broadcasts = Broadcasts()
        self.pacer = Pacer(settings.ws_sends_per_turn, share=settings.ws_delivery_share,
                           per_turn_serving=settings.ws_sends_per_turn_serving)
        self.persisted = PersistedQueries(settings.persisted_queries_bytes)  # shared by HTTP and WebSocket
        self.rate_limits = RateLimits.from_settings(settings)  # spent by HTTP (app.py) and WebSocket operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        with self.pacer.serving():  # WebSocket deliveries give way to HTTP requests
            response = await self.handle(Request(scope, receive))
            await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            refused = error_response(405, BAD_REQUEST, WRONG_METHOD)
            refused.headers["allow"] = "GET, POST"
            return refused
        limit = self.body_limit(request)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return body.too_large(limit).response()
        if self.graphql_ide and self.should_render_graphql_ide(self.request_adapter_class(request)):
            return await self.render_graphql_ide(request)  # the IDE page is static; its requests carry keys
        try:
            requester = await requester_of(self.services, request)
        except StoreUnavailable:
            return error_response(503, ErrorCode.STORE_UNAVAILABLE, "The database cannot be reached; retry shortly.")
        if requester is None:
            return error_response(401, ErrorCode.UNAUTHENTICATED, UNAUTHENTICATED)
        request_log.note_requester(requester)
        try:
            raw = await body.read(request.receive, limit, self.services.settings.body_timeout_seconds)
            key = request.headers.get(IDEMPOTENCY_HEADER)
            if key is not None and request.method == "POST" and self.selects_mutation(request, raw):
                response = await self.idempotent(request, requester, key, raw)
            else:
                context = RequestContext.build(self.services, requester)
                response = await self.run(Request(request.scope, replay(raw)), context)
        except body.Refused as refused:
            return refused.response()
        except PersistedQueryRefused as refused:
            return error_response(refused.status, refused.code, refused.message)
        except StrawberryHTTPException as exc:  # method, content type, query or variables not as GraphQL needs
            return error_response(exc.status_code, BAD_REQUEST, exc.reason)
        except StarletteHTTPException as exc:  # a multipart body Starlette cannot parse (plain text otherwise)
            return error_response(exc.status_code, BAD_REQUEST, exc.detail)
        assert isinstance(response, Response)
        return response

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET carrying only a persisted query's hash has no `query` either, but it is an operation.
        # strawberry asks this of every request: its own test (GET first) runs before ours.
        return super().should_render_graphql_ide(request) and request.query_params.get("extensions") is None

    def selects_mutation(self, request: Request, raw: bytes) -> bool:
        """Idempotency keys apply to JSON mutations; a query with the header runs as usual (it changes
        nothing), and so does a multipart upload (its body is a document, not one JSON request to compare)."""
        if is_multipart(request):
            return False
        settings = self.services.settings
        return body.selects_mutation(
            body.request_object(body.decode(raw)), settings.max_tokens, settings.max_document_chars
        )

    async def idempotent(self, request: Request, requester: Requester, key: str, raw: bytes) -> Response:
        try:
            idempotency_rules.check_key(key)
        except DomainError as error:
            return error_response(400, error.code, error.message)

        async def execute() -> Response:
            context = RequestContext.build(self.services, requester)
            response = await self.run(Request(request.scope, replay(raw)), context)
            assert isinstance(response, Response)
            return response

        return await idempotency.respond(
            self.services.store, self.services.clock, key_id=requester.key_id or requester.id, key=key, body=raw,
            stale_after=timedelta(seconds=self.services.settings.idempotency_claim_seconds), execute=execute,
        )
    def body_limit(self, request: Request) -> int:
        """JSON bodies keep the small limit; only a multipart upload may carry a document."""
        settings = self.services.settings
        return settings.max_upload_body_bytes if is_multipart(request) else settings.max_body_bytes

    def parse_json(self, data: str | bytes) -> Any:
        # HTTP bodies (and GET `variables`) only: WebSocket messages are decoded by `decode_json`.
        return body.request_object(body.decode(data))

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for one in parsed if isinstance(parsed, list) else [parsed]:
            if wants_persisted(one.extensions):
                one.query = self.persisted.document(one.query, one.extensions)
            settings = self.services.settings
            body.check_operation(one.query, one.operation_name, settings.max_tokens, settings.max_document_chars)
            request_log.note_operation(
                one.query, one.operation_name, settings.max_tokens, settings.max_document_chars
            )
        return parsed

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        request_log.note_result(processed)
        return processed

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        # strawberry's own, with orjson bytes (WebSocket messages keep strawberry's text encoding).
        response = Response(json_body.dumps(response_data), media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> RequestContext:
        # Only WebSockets get here: HTTP requests arrive with their context built in `handle`.
        try:
            requester = await requester_of(self.services, request)
        except StoreUnavailable:
            requester = None
        context = RequestContext.build(self.services, requester)
        context.token = bearer(request.headers.get("authorization")) if requester is not None else None
        return context

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """The key may come in connection_init ({"authorization": "Bearer <key>"}) or the upgrade headers."""
        if context.authenticated is None:
            params: dict[str, Any] = context.connection_params if isinstance(context.connection_params, dict) else {}
            token = bearer(str(params.get("authorization") or params.get("Authorization") or ""))
            requester = await authenticate(self.services, token) if token else None
            if requester is None:
                raise ConnectionRejectionError({"message": UNAUTHENTICATED})
            context.authenticate(requester)
            context.token = token
        request_log.note_requester(context.authenticated)
        return await super().on_ws_connect(context)
