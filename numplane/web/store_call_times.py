"""The store calls' latency histogram, kept as plain numbers and published when /metrics is scraped.

A transition makes two store calls and the change feed's reader one more per poll; prometheus_client's
Histogram takes a lock twice for each observation (the bucket and the sum), which cost about as much as
the rest of the call's bookkeeping. Every store call is timed on the event loop's thread
(numplane.store.observed), so nothing else writes these numbers while they are counted, and a scrape
(on the same thread) reads them whole.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString


class _Times:
    __slots__ = ("counts", "total")

    def __init__(self, buckets: int) -> None:
        self.counts = [0] * (buckets + 1)  # one per upper bound, then the calls above every bound
        self.total = 0.0


class StoreCallTimes(Collector):
    """`numplane_store_call_seconds` by operation, as prometheus_client's Histogram would show it."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self.bounds = tuple(sorted(buckets))
        self._labels = [floatToGoString(bound) for bound in self.bounds] + ["+Inf"]  # type: ignore[no-untyped-call]
        self._by_operation: dict[str, _Times] = {}

    def observe(self, operation: str, seconds: float) -> None:
        times = self._by_operation.get(operation)
        if times is None:
            times = self._by_operation[operation] = _Times(len(self.bounds))
        times.counts[bisect_left(self.bounds, seconds)] += 1  # the first bound at or above: Prometheus's `le`
        times.total += seconds

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=["operation"])
        for operation, times in sorted(self._by_operation.items()):
            cumulative, running = [], 0
            for label, count in zip(self._labels, times.counts, strict=True):
                running += count
                cumulative.append((label, float(running)))
            family.add_metric([operation], cumulative, sum_value=times.total)
        yield family
