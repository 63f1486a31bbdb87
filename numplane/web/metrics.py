"""Prometheus metrics: request counts and latency per route, in a registry owned by one app."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from numplane.domain.webhook_deliveries import DeliveryStats


class Metrics:
    def __init__(self, webhooks: DeliveryStats | None = None) -> None:
        # A registry per app, so several apps in one process (tests) never clash on metric names.
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "numplane_http_requests", "HTTP requests", ["path", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "numplane_http_request_seconds", "HTTP request latency", ["path", "method"], registry=self.registry
        )
        if webhooks is not None:
            self.registry.register(WebhookCollector(webhooks))

    async def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class WebhookCollector(Collector):
    """The dispatcher's figures, read when /metrics is scraped (they are plain numbers it keeps)."""

    def __init__(self, stats: DeliveryStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        attempts = CounterMetricFamily(
            "numplane_webhook_deliveries", "Webhook delivery attempts by outcome", labels=["outcome"]
        )
        for outcome, count in sorted(self.stats.outcomes.items()):
            attempts.add_metric([outcome], count)
        yield attempts
        yield GaugeMetricFamily(
            "numplane_webhook_queue_depth", "Unfinished webhook deliveries seen in the endpoints' queues",
            value=self.stats.queue_depth,
        )
        yield GaugeMetricFamily(
            "numplane_webhook_oldest_pending_seconds", "Age of the oldest unfinished webhook delivery",
            value=self.stats.oldest_pending_seconds,
        )


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            # Paths are the few fixed routes of this app (unknown ones count as "other"), so labels stay bounded.
            path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"
            self.metrics.requests.labels(path, scope["method"], str(status)).inc()
            self.metrics.latency.labels(path, scope["method"]).observe(time.perf_counter() - started)


KNOWN_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})
