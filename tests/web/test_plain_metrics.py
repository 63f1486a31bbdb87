"""The request and store call counts and latencies, kept as plain numbers, read on /metrics as
prometheus_client's own Counter and Histogram would show them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from numplane.web.metrics import STORE_BUCKETS, Metrics


def lines_of(name: str, exposition: bytes) -> list[str]:
    return sorted(
        line for line in exposition.decode().splitlines()
        if name in line and "_created" not in line  # a creation time differs by nature
    )


def test_store_call_latencies_read_as_a_prometheus_histogram_would_show_them() -> None:
    metrics = Metrics()
    registry = CollectorRegistry()
    reference = Histogram(
        "numplane_store_call_seconds", "Store call latency by operation", ["operation"],
        registry=registry, buckets=STORE_BUCKETS,
    )
    # On a bound (Prometheus counts it in that bucket), between bounds, above every bound, two operations.
    calls = [("get_many", 0.0005), ("get_many", 0.0007), ("put_many", 0.003), ("get_many", 20.0),
             ("changes", 0.00001), ("put_many", 1.0)]
    for operation, seconds in calls:
        metrics.store_call(operation, seconds, False)
        reference.labels(operation).observe(seconds)
    assert lines_of("numplane_store_call_seconds", generate_latest(metrics.registry)) == lines_of(
        "numplane_store_call_seconds", generate_latest(registry)
    )


def test_requests_and_their_latency_read_as_a_prometheus_counter_and_histogram_would_show_them() -> None:
    metrics = Metrics()
    registry = CollectorRegistry()
    counted = Counter("numplane_http_requests", "HTTP requests", ["path", "method", "status"], registry=registry)
    timed = Histogram("numplane_http_request_seconds", "HTTP request latency", ["path", "method"], registry=registry)
    # Numbers hunted count under their route, never as themselves; an unknown path as "other"; a status of
    # one route apart from another; a latency on a bound, between bounds and above every bound.
    requests = [("/hunt/+14155550001", "GET", 200, 0.005), ("/hunt/+14155550002", "GET", 200, 0.0001),
                ("/hunt/+14155550002", "GET", 429, 0.3), ("/graphql", "POST", 200, 11.0),
                ("/nowhere", "GET", 404, 0.01), ("/graphql", "POST", 400, 0.002)]
    for path, method, status, seconds in requests:
        metrics.request(path, method, status, seconds)
        route = "/hunt" if path.startswith("/hunt/") else path if path == "/graphql" else "other"
        counted.labels(route, method, str(status)).inc()
        timed.labels(route, method).observe(seconds)
    ours, reference = generate_latest(metrics.registry), generate_latest(registry)
    assert lines_of("numplane_http_requests_total", ours) == lines_of("numplane_http_requests_total", reference)
    assert lines_of("numplane_http_request_seconds", ours) == lines_of("numplane_http_request_seconds", reference)
    assert 'numplane_http_requests_total{method="GET",path="/hunt",status="200"} 2.0' in ours.decode()


def test_a_store_call_that_failed_is_timed_and_counted_as_an_error() -> None:
    metrics = Metrics()
    metrics.store_call("ping", 0.002, True)
    exposition = generate_latest(metrics.registry).decode()
    assert 'numplane_store_call_seconds_count{operation="ping"} 1.0' in exposition
    assert 'numplane_store_errors_total{operation="ping"} 1.0' in exposition
