"""Composition root: settings -> store -> services -> schema -> Starlette routes and lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from numplane.changes.hub import ChangeHub
from numplane.domain.errors import ErrorCode
from numplane.jobs.scheduler import start_scheduler
from numplane.jobs.webhooks import Dispatcher
from numplane.logs.setup import configure_logging
from numplane.resolvers.context import Services
from numplane.schema.schema import build_schema
from numplane.settings import Settings
from numplane.store.backfill import backfill_localities
from numplane.store.base import Store, StoreUnavailable
from numplane.store.observed import ObservedStore
from numplane.web.console import console_dir, console_routes
from numplane.web.errors import error_response
from numplane.web.graphql import NumplaneGraphQL
from numplane.web.hunt import hunt_route
from numplane.web.ide import WithGraphiQL, ide_assets
from numplane.web.metrics import Metrics
from numplane.web.port_documents import port_documents_route
from numplane.web.shell import RequestShell, ShellFirst

log = logging.getLogger(__name__)

# Generation-0 collections ran ~5 times per listing page at the default threshold of 700 allocations. Each
# collection holds the event loop for as long as it takes to free the cycles requests leave behind: at
# 50,000, 20-70 ms (CPU) under subscription fan-out; at 2,000, under 6 ms, with one every ~30 listing pages.
# At 2,000 a served single-number transition paid ~10 % of its CPU in collections: each one rescans the
# objects of the requests in flight. At 10,000 alone, a generation-1 collection (every tenth) gathered ten
# times as many survivors and took ~50 ms while 2,000 subscriptions were being served; collecting generation 1
# every second young collection keeps it at every 20,000 allocations, as before, and under 9 ms
# (`python -m benchmarks.fanout`, `python -m benchmarks.api --only ratios`, side by side).
GC_GEN0_THRESHOLD = 10_000
GC_GEN1_THRESHOLD = 2


def served_app() -> Starlette:
    """The app `numplane serve` runs, as a factory uvicorn calls in each worker process (settings from
    the environment); the long-lived objects built here are frozen out of the garbage collector's scans."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)  # each worker process configures its own
    app = create_app(settings)
    collect_as_served()
    return app


def collect_as_served() -> None:
    """The garbage collector as a served process runs it, once its long-lived objects are built (benchmarks
    that measure in process set it the same way)."""
    gc.collect()
    gc.freeze()  # start-up objects (schema, modules, caches) never become garbage: stop rescanning them
    gc.set_threshold(GC_GEN0_THRESHOLD, GC_GEN1_THRESHOLD, gc.get_threshold()[2])


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    if services is None:
        services = Services.from_settings(settings or Settings())
    settings = services.settings
    schema = build_schema(
        debug=settings.debug, max_depth=settings.max_depth, max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens, max_document_chars=settings.max_document_chars,
    )
    graphql = NumplaneGraphQL(schema, services)
    hub = services.hub = services.hub or ChangeHub(
        services.store, poll_interval=settings.feed_poll_seconds, written_numbers=services.written_numbers,
    )
    if services.routing is not None:
        hub.add_listener(services.routing.apply_changes)
    metrics = Metrics(services.webhook_stats)
    metrics.follow(services, hub)
    if isinstance(services.store, ObservedStore):
        services.store.watch(metrics.store_call)
    ide_build = console_dir(settings) / "ide-dist"
    api: ASGIApp = WithGraphiQL(graphql, ide_build) if settings.debug else graphql
    store = services.store
    hunt = hunt_route(services)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        try:
            await store.ping()
        except StoreUnavailable:
            return error_response(503, ErrorCode.STORE_UNAVAILABLE, "The store cannot be reached.")
        return JSONResponse({"status": "ready"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open()
        await hub.start()
        scheduler = app.state.scheduler = start_scheduler(services)  # idle when settings.scheduler is off
        dispatcher = app.state.webhooks = Dispatcher(services, hub) if settings.webhooks else None
        if dispatcher is not None:
            dispatcher.start()
        # In the background: a store of numbers written before search indexed localities must not delay
        # serving (those numbers are found by unfiltered searches meanwhile).
        backfill = asyncio.create_task(_backfill(store))
        try:
            yield
        finally:
            backfill.cancel()
            if dispatcher is not None:
                await dispatcher.stop()
            await scheduler.shutdown()
            await hub.stop()
            await store.close()

    return ShellFirst(  # Starlette, but a router's GET /hunt goes straight to the request shell
        routes=[
            Route("/graphql", api),  # every method: a wrong one is answered as a coded GraphQL error
            WebSocketRoute("/graphql", graphql),
            hunt,
            port_documents_route(services),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.endpoint),
            *(ide_assets(ide_build) if settings.debug else []),
            *console_routes(settings),  # last: the console's files answer every other path
        ],
        # Request id and line, metrics, CORS and rate limits in one layer (numplane.web.shell).
        middleware=[Middleware(RequestShell, services=services, metrics=metrics, limits=graphql.rate_limits,
                               direct=hunt)],
        lifespan=lifespan,
    )


async def _backfill(store: Store) -> None:
    try:
        await backfill_localities(store)
    except StoreUnavailable:
        log.warning("the locality backfill could not reach the store; the next start retries it")
