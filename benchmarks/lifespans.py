"""A served app's lifespan with a benchmark's own work around it: what a benchmark that runs inside
`numplane serve` (benchmarks.loop_watch, benchmarks.couch_requests) starts once the app has started and
finishes (writes its figures) before the app stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any


def around_lifespan(
    factory: Callable[[], Any], inside: Callable[[], AbstractAsyncContextManager[None]]
) -> Callable[[], Any]:
    """An app factory like `factory` whose app runs `inside()` within its own lifespan."""

    def build() -> Any:
        app = factory()
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(app_: Any) -> AsyncIterator[None]:
            async with inner(app_), inside():
                yield

        app.router.lifespan_context = lifespan
        return app

    return build
