"""Prometheus metrics, in a registry owned by one app: requests and latency per route, store calls, the
change feed, the routing cache, job runs, WebSockets, webhooks, and the process itself.

Figures other parts keep as plain numbers (the hub's lag, the cache's hits, the job runs) are read when
/metrics is scraped, so serving a request pays nothing for them."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from numplane.changes.hub import ChangeHub
from numplane.domain.webhook_deliveries import DeliveryStats
from numplane.resolvers.context import Services
from numplane.web.plain_metrics import PlainCounter, PlainHistogram

STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Store calls: an embedded read takes well under a millisecond, a CouchDB write a few, an outage seconds."""


class Metrics:
    def __init__(self, webhooks: DeliveryStats | None = None) -> None:
        # A registry per app, so several apps in one process (tests) never clash on metric names.
        self.registry = CollectorRegistry()
        self.requests = PlainCounter("numplane_http_requests", "HTTP requests", ["path", "method", "status"])
        self.latency = PlainHistogram(
            "numplane_http_request_seconds", "HTTP request latency", ["path", "method"], Histogram.DEFAULT_BUCKETS
        )
        self.store_calls = PlainHistogram(
            "numplane_store_call_seconds", "Store call latency by operation", ["operation"], STORE_BUCKETS
        )
        for plain in (self.requests, self.latency, self.store_calls):
            self.registry.register(plain)
        self.store_errors = Counter(
            "numplane_store_errors", "Store calls that found the store unavailable, by operation", ["operation"],
            registry=self.registry,
        )
        self.websockets = Gauge("numplane_websocket_connections", "Open WebSocket connections", registry=self.registry)
        # The collectors prometheus_client registers in its global registry, here in this app's.
        self.registry.register(PROCESS_COLLECTOR)
        self.registry.register(PLATFORM_COLLECTOR)
        if webhooks is not None:
            self.registry.register(WebhookCollector(webhooks))

    def request(self, path: str, method: str, status: int, seconds: float) -> None:
        """One HTTP request answered (the request shell, numplane.web.shell, reports every one)."""
        # Paths are the few fixed routes of this app (unknown ones count as "other"), so labels stay bounded.
        route = _route(path)
        self.requests.inc((route, method, status))
        self.latency.observe((route, method), seconds)

    def store_call(self, operation: str, seconds: float, failed: bool) -> None:
        """An ObservedStore watcher: one call's latency, and whether it failed."""
        self.store_calls.observe(operation, seconds)
        if failed:
            self.store_errors.labels(operation).inc()

    def follow(self, services: Services, hub: ChangeHub) -> None:
        """Report the change hub's, the routing cache's and the jobs' figures of this process."""
        self.registry.register(ServingCollector(services, hub))

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


class ServingCollector(Collector):
    """The change feed, routing cache and job figures of one process, read at scrape time."""

    def __init__(self, services: Services, hub: ChangeHub) -> None:
        self.services = services
        self.hub = hub

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "numplane_change_feed_lag_seconds",
            "How far behind the store's change feed this process's reader may be", value=self.hub.lag_seconds,
        )
        subscribers = GaugeMetricFamily(
            "numplane_change_feed_subscribers", "Receivers of the change feed by kind", labels=["kind"]
        )
        subscribers.add_metric(["numbers"], self.hub.subscribers)
        subscribers.add_metric(["port_requests"], self.hub.port_subscribers)
        subscribers.add_metric(["long_polls"], self.hub.waiters)
        yield subscribers
        lookups = CounterMetricFamily(
            "numplane_routing_cache_lookups", "Hunt lookups answered from memory (hit) or the store (miss)",
            labels=["cache", "result"],
        )
        routing = self.services.routing
        if routing is not None:
            for name, entries in (("numbers", routing.numbers), ("accounts", routing.accounts)):
                lookups.add_metric([name, "hit"], entries.hits)
                lookups.add_metric([name, "miss"], entries.misses)
        yield lookups
        runs = CounterMetricFamily(
            "numplane_job_runs", "Job runs in this process by outcome", labels=["job", "outcome"]
        )
        for (job, outcome), count in sorted(self.services.job_runs.items()):
            runs.add_metric([job, outcome], count)
        yield runs


KNOWN_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})
PREFIXES = ("/hunt/",)  # routes with a parameter, counted under their prefix (never the number itself)


def _route(path: str) -> str:
    if path in KNOWN_PATHS:
        return path
    for prefix in PREFIXES:
        if path.startswith(prefix):
            return prefix.rstrip("/")
    return "other"
