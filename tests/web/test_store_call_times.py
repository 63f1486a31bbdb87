"""The store calls' histogram, kept as plain numbers, reads on /metrics as prometheus_client's own would."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from numplane.web.metrics import STORE_BUCKETS, Metrics


def store_call_lines(exposition: bytes) -> list[str]:
    return [
        line for line in exposition.decode().splitlines()
        if "numplane_store_call_seconds" in line and "_created" not in line  # a creation time differs by nature
    ]


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
    assert sorted(store_call_lines(generate_latest(metrics.registry))) == sorted(
        store_call_lines(generate_latest(registry))
    )


def test_a_store_call_that_failed_is_timed_and_counted_as_an_error() -> None:
    metrics = Metrics()
    metrics.store_call("ping", 0.002, True)
    exposition = generate_latest(metrics.registry).decode()
    assert 'numplane_store_call_seconds_count{operation="ping"} 1.0' in exposition
    assert 'numplane_store_errors_total{operation="ping"} 1.0' in exposition
