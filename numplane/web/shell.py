"""What every request passes through before its route, as one ASGI layer with one `send` wrapper.

Its id and its line (numplane.web.request_log), its count and latency (numplane.web.metrics), and on the
API paths the CORS policy (numplane.web.cors) and the rate limits (numplane.web.rate_limits). Four
middleware layers did this, each with its own call, its own `send` wrapper and its own reading of the
headers: about three quarters of a GET /hunt's CPU went to them. Here the headers are read once (X-Request-ID,
Origin, Authorization), the answer's headers are added in one place, and the requester the rate limits
found is left in the scope for the route (numplane.web.credentials.REQUESTER) instead of being looked up again.

One route may be served by the shell itself when the request matches it fully (`direct`: GET /hunt, a
router's call path): Starlette's exception layer and route table add nothing to an endpoint that answers
its own errors, and cost that route a tenth of its CPU. Anything else that path may be (a wrong method, a
path the route does not match) goes through Starlette as before.
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from numplane.logs.ids import RequestRecord, current_request
from numplane.resolvers.context import Services
from numplane.schema.request_errors import INTERNAL_SERVER_ERROR
from numplane.web.cors import ApiCors, origin_list
from numplane.web.credentials import REQUESTER
from numplane.web.errors import error_response
from numplane.web.metrics import Metrics
from numplane.web.rate_limits import RateLimitedRoutes, RateLimits, limited
from numplane.web.request_log import HEADER, log_unhandled, note_requester, request_record, write_line

HeaderList = list[tuple[bytes, bytes]]


class RequestShell:
    """ASGI middleware, outermost: the request id is on every line and every answer, errors included."""

    def __init__(
        self, app: ASGIApp, services: Services, metrics: Metrics, limits: RateLimits, direct: Route | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.rate_limits = RateLimitedRoutes(services, limits)
        self.cors = ApiCors(app, origin_list(services.settings.allowed_origins))
        self.direct = direct
        self.direct_prefix, self.direct_param = _one_parameter(direct) if direct is not None else ("", "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            await self.websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send, direct: str | None = None) -> None:
        """One HTTP request; `direct`, the direct route's parameter when the caller found the request is a
        GET of that route's path (ShellFirst), so it is not looked for again."""
        sent_id = origin = authorization = None
        for name, value in scope["headers"]:  # the first of each, as Starlette's Headers reads them
            if name == HEADER:
                sent_id = value if sent_id is None else sent_id
            elif name == b"authorization":
                authorization = value if authorization is None else authorization
            elif name == b"origin":
                origin = value if origin is None else origin
        record = request_record(sent_id)
        context = current_request.set(record)
        added: HeaderList = [(HEADER, record.id.encode())]  # the rate limits add theirs
        path: str = scope["path"]
        cross_origin = self.cors.applies(path, origin)
        started = time.perf_counter()
        status = 0

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *added]
            if cross_origin:
                await self.cors.send(message, send, scope)
            else:
                await send(message)

        try:
            if not limited(path):
                await self.app(scope, receive, answer)
            elif cross_origin and (preflight := self.cors.preflight(scope)) is not None:
                await preflight(scope, receive, answer)  # a preflight spends no budget
            else:
                await self.admitted(scope, receive, answer, authorization, added, direct)
        except Exception:
            log_unhandled(scope["method"], path)
            if status:
                raise
            # Answered here, not by Starlette's outer error handler, so even this answer names its request.
            await error_response(500, INTERNAL_SERVER_ERROR, "Unexpected error.")(scope, receive, answer)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.request(path, scope["method"], status or 500, seconds)
            write_line(scope["method"], path, status, seconds, record)
            current_request.reset(context)

    async def admitted(
        self, scope: Scope, receive: Receive, send: Send, authorization: bytes | None, added: HeaderList,
        direct: str | None = None,
    ) -> None:
        """The route, if the request's budget has one left; otherwise HTTP 429 after a hold."""
        path: str = scope["path"]
        # A cached key is admitted without a coroutine; any other is checked (and may wait for the store).
        admission = self.rate_limits.admit_known(path, authorization) or await self.rate_limits.admit(
            path, authorization, scope
        )
        if admission.checked:
            scope[REQUESTER] = admission.requester
        note_requester(admission.requester)
        quota = admission.quota
        added.extend(quota.headers())
        if quota.allowed:
            await self.route(scope, receive, send, direct)
            return
        await self.rate_limits.hold(admission.identity)
        await self.rate_limits.refusal(path, quota)(scope, receive, send)

    async def route(self, scope: Scope, receive: Receive, send: Send, value: str | None = None) -> None:
        """The direct route for a GET of its path (as Starlette's router would call it), else the app behind
        the shell. Matched by its prefix and a parameter without a slash (what Starlette's route regex and
        str convertor accept) without running them; HEAD and the other methods go to Starlette. `value`: the
        parameter, when the caller already matched the request."""
        direct = self.direct
        if value is None:
            value = self.direct_value(scope)
        if direct is not None and value is not None:
            scope["endpoint"] = direct.endpoint
            params = scope.get("path_params")
            scope["path_params"] = {**params, self.direct_param: value} if params else {self.direct_param: value}
            await direct.app(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def direct_value(self, scope: Scope) -> str | None:
        """The direct route's parameter when `scope` is a GET of its path, else None."""
        if self.direct is None or scope["method"] != "GET":
            return None
        path: str = scope["path"]
        prefix = self.direct_prefix
        value = path[len(prefix):] if path.startswith(prefix) else ""
        return value if value and "/" not in value else None

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = _websocket_record(scope)
        context = current_request.set(record)
        returned = (HEADER, record.id.encode())
        path: str = scope["path"]
        started = time.perf_counter()
        status = 0

        async def answer(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "websocket.http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), returned]}
            elif kind == "websocket.accept":
                status = 101
                message = {**message, "headers": [*message.get("headers", ()), returned]}
            elif kind == "websocket.close" and not status:
                status = 403  # refused before the handshake completed
            await send(message)

        self.metrics.websockets.inc()
        try:
            await self.app(scope, receive, answer)
        except Exception:
            log_unhandled("WS", path)
            raise
        finally:
            self.metrics.websockets.dec()
            write_line("WS", path, status, time.perf_counter() - started, record)
            current_request.reset(context)


class ShellFirst(Starlette):
    """Starlette, whose request shell takes its direct route's requests at the door: Starlette's own call and
    its outer error layer (ServerErrorMiddleware, whose 500 the shell answers itself as a JSON error) add two
    coroutines and a `send` wrapper to a router's call and nothing else. Every other request, and every
    request when the shell is not directly behind that layer, goes through Starlette as before."""

    shell: RequestShell | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if isinstance(stack, ServerErrorMiddleware) and isinstance(stack.app, RequestShell):
            self.shell = stack.app
        return stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        shell = self.shell
        if shell is not None and scope["type"] == "http" and (value := shell.direct_value(scope)) is not None:
            scope["app"] = self
            await shell.http(scope, receive, send, value)
            return
        await super().__call__(scope, receive, send)


def _one_parameter(route: Route) -> tuple[str, str]:
    """The prefix and the parameter's name of a route whose path is a prefix and one str parameter."""
    prefix, _, rest = route.path_format.partition("{")
    name = rest.removesuffix("}")
    if not rest.endswith("}") or set(route.param_convertors) != {name} or route.param_convertors[name].regex != "[^/]+":
        raise ValueError(f"a direct route is a prefix and one str parameter, not {route.path}")
    return prefix, name


def _websocket_record(scope: Scope) -> RequestRecord:
    for name, value in scope["headers"]:
        if name == HEADER:
            return request_record(value)
    return request_record(None)
