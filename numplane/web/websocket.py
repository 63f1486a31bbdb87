"""WebSocket policy for graphql-transport-ws: what a connection may send, how many a key may open, and
how results reach it.

- A message over the body limit closes the connection with 1009 (message too big); a frame that is not a
  JSON object of the protocol (`[1,2]`, a `subscribe` without a payload object, JSON nested too deeply)
  closes it with 4400; an operation the schema refuses (syntax, token limit, validation) gets an `error`
  message. None of these is a server fault: nothing is logged.
- Each API key may hold `max_websockets_per_key` connections in this process (each worker process counts
  its own); the next is closed with 4429 and a reason that says so. Closing a connection frees its place.
- A connection lives only while its key admits it (numplane.web.key_watch): a key revoked or an account
  disabled, through any replica, ends every running operation with an `error` message (code
  UNAUTHENTICATED or ACCOUNT_DISABLED) and closes the connection with 4403 Forbidden; a disabled
  account's connection is refused at connection_init the same way.
- Every outgoing message goes through the connection's Outbox (numplane.web.fanout), several to a write
  under `numplane serve` (numplane.web.ws_protocol); subscription operations of the same shape share one
  Broadcast.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from graphql import GraphQLError, OperationType, get_operation_ast
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    ConnectionInitMessage,
    ErrorMessage,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message as ProtocolMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.unset import UnsetType
from strawberry.utils.aio import aclosing

from numplane.domain import api_keys
from numplane.domain.errors import DomainError
from numplane.domain.fair_share import retry_after
from numplane.domain.text import excerpt
from numplane.resolvers.context import Requester
from numplane.schema.context import RequestContext
from numplane.schema.errors import graphql_error
from numplane.schema.request_errors import BAD_REQUEST, RATE_LIMITED, limit_extensions, parse_document
from numplane.web.fanout import Delivery, Follower, Outbox, Results, Shape
from numplane.web.persisted import PersistedQueryRefused, wants_persisted
from numplane.web.ws_protocol import TEXTS, Text

if TYPE_CHECKING:
    from numplane.web.graphql import NumplaneGraphQL

log = logging.getLogger(__name__)

MESSAGE_TOO_BIG = 1009
MALFORMED = 4400
TOO_MANY_CONNECTIONS = 4429
FORBIDDEN = 4403  # graphql-transport-ws: the key no longer admits this connection
FINAL_MESSAGES_SECONDS = 5.0  # how long the last `error` messages may take to leave before the close
LIMIT_REACHED = "Subscription limit reached: complete one of this connection's operations first."
TRY_AGAIN_LATER = 1013  # the peer read too slowly: it may reconnect (and catch up with numberChanges)


class MessageTooBig(Exception):
    pass


class KeyConnections:
    """Open WebSockets per API key in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def acquire(self, key: str) -> bool:
        if self._open[key] >= self.limit:
            return False
        self._open[key] += 1
        return True

    def release(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]

    def count(self, key: str) -> int:
        return self._open[key]


class BoundedWebSocketAdapter(ASGIWebSocketAdapter):
    """Reads each message whole (uvicorn's ws_max_size already bounds it), refusing one over the body
    limit and JSON too deeply nested to decode."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        view = cast("NumplaneGraphQL", self.view)
        limit = view.services.settings.max_body_bytes
        while self.ws.application_state != WebSocketState.DISCONNECTED:
            try:
                message = await self.ws.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                raise NonTextMessageReceived
            if len(text) > limit or (len(text) * 4 > limit and len(text.encode()) > limit):
                raise MessageTooBig
            try:
                yield json.loads(text)
            except (ValueError, RecursionError) as error:  # RecursionError: nested beyond the decoder's stack
                raise NonJsonMessageReceived from error


def subscribe_problem(message: Mapping[str, Any]) -> str | None:
    """Why a `subscribe` message is not one the protocol allows, or None."""
    if not isinstance(message.get("id"), str) or not message["id"]:
        return "subscribe needs a string id"
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "subscribe needs a payload object"
    if not isinstance(payload.get("query"), str):
        return "subscribe needs payload.query, a string"
    for name in ("variables", "extensions"):
        if payload.get(name) is not None and not isinstance(payload[name], dict):
            return f"payload.{name} must be an object"
    if payload.get("operationName") is not None and not isinstance(payload["operationName"], str):
        return "payload.operationName must be a string"
    return None


@lru_cache(maxsize=256)
def parsed(
    query: str, operation_name: str | None, max_tokens: int, max_chars: int
) -> OperationType | GraphQLError | None:
    """The type of the document's chosen operation (None when it names none), or why it cannot be parsed
    (syntax, or over the token limit: strawberry raises these from its parser cache rather than answering
    them, so they are answered here before execution, coded like over HTTP)."""
    try:
        operation = get_operation_ast(parse_document(query, max_tokens, max_chars), operation_name)
    except GraphQLError as error:
        return error
    return operation.operation if operation is not None else None


class NumplaneTransportWS(BaseGraphQLTransportWSHandler[RequestContext, None]):
    view: NumplaneGraphQL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = self.view.services.settings
        self.key: str | None = None  # the API key holding a place among its connections
        self.unwatch: Callable[[], None] | None = None  # stops re-checking the key (numplane.web.key_watch)
        self.ending = False  # the key was refused: the connection is being closed
        self.outbox = Outbox(
            self.send_texts, self.close_too_slow, limit=self.settings.ws_outbox_messages, pacer=self.view.pacer
        )

    async def handle(self) -> None:
        self.outbox.start()
        try:
            await self.read_messages()
        finally:
            if self.unwatch is not None:
                self.unwatch()
                self.unwatch = None
            if self.key is not None:
                self.view.key_connections.release(self.key)
                self.key = None
            await self.outbox.stop()

    async def read_messages(self) -> None:
        self.on_request_accepted()
        try:
            try:
                async for message in self.websocket.iter_json():
                    await self.handle_message(cast("ProtocolMessage", message))
            except NonTextMessageReceived:
                await self.handle_invalid_message("WebSocket message type must be text")
            except NonJsonMessageReceived:
                await self.handle_invalid_message("WebSocket message must be valid JSON")
            except MessageTooBig:
                limit = self.settings.max_body_bytes
                await self.close(MESSAGE_TOO_BIG, f"Message over the limit of {limit} bytes")
        except WebSocketDisconnected:
            pass
        finally:
            await self.shutdown()

    async def handle_message(self, message: ProtocolMessage) -> None:
        raw: object = message
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            await self.handle_invalid_message("Each message must be a JSON object with a string type")
            return
        kind = raw["type"]
        if kind == "subscribe" and self.ending:
            return  # the key no longer admits this connection: it is closing, nothing new starts
        if kind == "subscribe" and not await self.resolve_persisted(raw):
            return
        if kind == "subscribe" and not await self.within_budget(raw):
            return
        limit = self.settings.max_subscriptions_per_connection
        if kind == "subscribe" and len(self.operations) >= limit:  # strawberry's own check, with a code
            await self.refuse(raw, LIMIT_REACHED, limit_extensions("subscriptions", limit))
            return
        problem = subscribe_problem(raw) if kind == "subscribe" else None
        if kind == "complete" and not isinstance(raw.get("id"), str):
            problem = "complete needs a string id"
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def within_budget(self, message: dict[str, Any]) -> bool:
        """Each operation spends its key's request budget as an HTTP request would; one over it gets an
        `error` message (RATE_LIMITED, with `retryAfter` seconds) and the connection stays open."""
        requester = self.context.authenticated
        if requester is None:  # before connection_init: strawberry closes the connection (4401)
            return True
        quota = self.view.rate_limits.hit_requester(requester)
        if quota.allowed:
            return True
        reason = f"Too many requests: the budget is {quota.limit} requests at once; retry in {quota.reset} s."
        await self.refuse(message, reason, {"code": RATE_LIMITED, "retryAfter": retry_after(quota.reset)})
        return False

    async def resolve_persisted(self, message: dict[str, Any]) -> bool:
        """Put the document of an automatic persisted query into the subscribe message, as over HTTP;
        False when it cannot be (the operation got an `error` message saying why)."""
        payload = message.get("payload")
        extensions = payload.get("extensions") if isinstance(payload, dict) else None
        if not isinstance(extensions, dict) or not wants_persisted(extensions):
            return True
        assert isinstance(payload, dict)
        try:
            payload["query"] = self.view.persisted.document(payload.get("query"), extensions)
        except PersistedQueryRefused as refused:
            await self.refuse(message, refused.message, {"code": refused.code})
            return False
        return True

    async def refuse(self, message: dict[str, Any], reason: str, extensions: dict[str, object]) -> None:
        """Answer a `subscribe` that cannot start with an `error` message, coded like over HTTP."""
        if not isinstance(message.get("id"), str) or not message["id"]:
            await self.handle_invalid_message("subscribe needs a string id")
            return
        error = {"message": reason, "extensions": extensions}
        await self.send_message(cast("ProtocolMessage", {"id": message["id"], "type": "error", "payload": [error]}))

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """As the protocol says, plus the key's connection limit between authentication and the ack."""
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.close(MALFORMED, "Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.close(4429, "Too many initialisation requests")
            return
        self.connection_init_received = True
        self.context.connection_params = payload
        try:
            ack = await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError:
            await self.close(4403, "Forbidden")
            return
        requester = self.context.authenticated
        assert requester is not None  # on_ws_connect rejects a connection it cannot authenticate
        try:
            api_keys.ensure_may_stay_connected(key_valid=True, account_enabled=requester.account.enabled)
        except DomainError as error:
            await self.close(FORBIDDEN, error.message)
            return
        if not self.view.key_connections.acquire(key_of(requester)):
            limit = self.view.key_connections.limit
            await self.close(TOO_MANY_CONNECTIONS, f"Too many WebSockets for this API key (limit {limit} per process)")
            return
        self.key = key_of(requester)
        if self.context.token is not None:
            self.unwatch = self.view.key_watch.watch(self.context.token, self.key_refused)
        await self.send_message({"type": "connection_ack"} if isinstance(ack, UnsetType) else
                                {"type": "connection_ack", "payload": ack})
        self.connection_acknowledged = True

    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        kind = parsed(
            operation.query, operation.operation_name, self.settings.max_tokens, self.settings.max_document_chars
        )
        if isinstance(kind, GraphQLError):
            await operation.send_initial_errors([kind])
        elif kind is None:  # strawberry would close the whole connection (4400) for this one operation
            await operation.send_initial_errors([unnamed_operation(operation.operation_name)])
        elif kind is OperationType.SUBSCRIPTION:
            await self.follow(operation)
        else:
            await super().run_operation(operation)

    async def follow(self, operation: Operation[RequestContext, None]) -> None:
        """Follow the broadcast of this subscription's shape; end the operation as the broadcast ends."""
        requester = self.context.requester
        variables = json.dumps(operation.variables or {}, sort_keys=True, separators=(",", ":"))
        shape = Shape(operation.query, variables, operation.operation_name, requester.id, requester.role.value)
        follower = Follower(operation.id, self.outbox)
        errors = await self.view.broadcasts.follow(shape, lambda: self.results(operation, requester), follower)
        if errors is None:
            await operation.send_operation_message(CompleteMessage(id=operation.id, type="complete"))
        else:
            await operation.send_operation_message(ErrorMessage(id=operation.id, type="error", payload=errors))

    async def results(self, operation: Operation[RequestContext, None], requester: Requester) -> Results:
        """One execution of the subscription, for everyone following its shape."""
        source = await self.schema.stream(
            operation.query, variable_values=operation.variables,
            context_value=RequestContext.build(self.view.services, requester), operation_name=operation.operation_name,
        )
        async with aclosing(source):
            first = True
            async for result in source:
                if first and isinstance(result, PreExecutionError):
                    yield Delivery(errors=list(result.errors or ()))
                    return
                if not isinstance(result, ExecutionResult):
                    unsupported = "Incremental delivery is not supported over WebSocket"
                    yield Delivery(errors=[GraphQLError(unsupported, extensions={"code": BAD_REQUEST})])
                    return
                first = False
                payload: dict[str, Any] = {"data": result.data}
                if result.errors:
                    payload["errors"] = [e.formatted for e in result.errors]
                yield Delivery(payload=payload)

    async def key_refused(self, error: DomainError) -> None:
        """The key no longer admits this connection: each running operation gets a final `error` (the
        protocol's answer to a failure during execution), then the connection closes with 4403."""
        self.ending = True
        running = list(self.operations.values())
        for operation in running:
            if operation.task is not None:
                operation.task.cancel()  # no `next` may follow the error
        for operation in running:
            if operation.task is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await operation.task
        payload = [graphql_error(error).formatted]
        for operation in running:
            if self.operations.get(operation.id) is operation:  # not completed meanwhile by the peer
                await operation.send_operation_message(ErrorMessage(id=operation.id, type="error", payload=payload))
        await self.outbox.drain(FINAL_MESSAGES_SECONDS)
        await self.close(FORBIDDEN, error.message)

    async def send_message(self, message: ProtocolMessage) -> None:
        self.outbox.put(json.dumps(message, separators=(",", ":")))

    async def send_texts(self, texts: list[Text]) -> None:
        """Several messages in one write where the server offers it (numplane.web.ws_protocol), else one by one."""
        socket = cast("ASGIWebSocketAdapter", self.websocket).ws
        if TEXTS in socket.scope.get("extensions", {}):
            await socket.send({"type": "websocket.send", TEXTS: texts})
        else:
            for text in texts:
                await socket.send_text(b"".join(text).decode())

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # already closed
            await self.websocket.close(code=code, reason=reason)

    async def handle_invalid_message(self, error_message: str) -> None:
        await self.close(MALFORMED, error_message)

    async def close_too_slow(self) -> None:
        limit = self.outbox.limit
        await self.close(TRY_AGAIN_LATER, f"Too slow: {limit} messages were waiting; reconnect and catch up")


def unnamed_operation(name: str | None) -> GraphQLError:
    """Why a document gave no operation to run, coded BAD_REQUEST as over HTTP."""
    if name:
        return GraphQLError(f'Unknown operation named "{excerpt(name)}".', extensions={"code": BAD_REQUEST})
    return GraphQLError(
        "The document does not hold exactly one operation; name the one to run in `operationName`.",
        extensions={"code": BAD_REQUEST},
    )


def key_of(requester: Requester) -> str:
    return requester.key_id or requester.id

