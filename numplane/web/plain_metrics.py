"""Counters and latency histograms by label values, kept as plain numbers and published when /metrics is
scraped.

Every request is counted and timed (numplane.web.metrics), every store call timed; prometheus_client's
Counter and Histogram take a lock for each increment (a histogram's bucket and its sum: twice per
observation) and find a labelled child under another lock, which cost as much as the rest of a store call's
bookkeeping and a tenth of a router's GET /hunt beyond uvicorn's own work. Everything counted here is counted
on the event loop's thread (the request shell, numplane.store.observed), so nothing else writes these
numbers while they are counted, and a scrape (on the same thread) reads them whole. They read on /metrics
as prometheus_client's own would, without the `_created` series.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Iterator, Sequence
from math import inf

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString


class _Times:
    __slots__ = ("counts", "total")

    def __init__(self, buckets: int) -> None:
        self.counts = [0] * (buckets + 1)  # one per upper bound, then the observations above every bound
        self.total = 0.0


class PlainHistogram(Collector):
    """A labelled histogram, as prometheus_client's Histogram shows it. Observations are keyed by any hashable
    `key` (a caller's own tuple, or one label's value), read as label values by `label_values` at scrape time:
    the hot path builds no strings."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str], buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = list(labels)
        self.bounds = tuple(sorted(bound for bound in buckets if bound != inf))  # +Inf is the last bucket anyway
        self._bucket_labels = [floatToGoString(bound) for bound in self.bounds] + ["+Inf"]  # type: ignore[no-untyped-call]
        self._by_key: dict[Hashable, _Times] = {}

    def observe(self, key: Hashable, seconds: float) -> None:
        times = self._by_key.get(key)
        if times is None:
            times = self._by_key[key] = _Times(len(self.bounds))
        times.counts[bisect_left(self.bounds, seconds)] += 1  # the first bound at or above: Prometheus's `le`
        times.total += seconds

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        merged: dict[tuple[str, ...], _Times] = {}  # keys that read as the same label values count together
        for key, times in self._by_key.items():
            into = merged.setdefault(label_values(key), _Times(len(self.bounds)))
            into.counts = [a + b for a, b in zip(into.counts, times.counts, strict=True)]
            into.total += times.total
        for values, times in sorted(merged.items()):
            cumulative, running = [], 0
            for label, count in zip(self._bucket_labels, times.counts, strict=True):
                running += count
                cumulative.append((label, float(running)))
            family.add_metric(list(values), cumulative, sum_value=times.total)
        yield family


class PlainCounter(Collector):
    """A labelled counter (`NAME_total`), as prometheus_client's Counter shows it; keyed as PlainHistogram."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str]) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = list(labels)
        self._by_key: dict[Hashable, int] = {}

    def inc(self, key: Hashable) -> None:
        self._by_key[key] = self._by_key.get(key, 0) + 1

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        merged: dict[tuple[str, ...], int] = {}
        for key, count in self._by_key.items():
            values = label_values(key)
            merged[values] = merged.get(values, 0) + count
        for values, count in sorted(merged.items()):
            family.add_metric(list(values), float(count))
        yield family


def label_values(key: Hashable) -> tuple[str, ...]:
    """A key's label values: each part of a tuple as text (a status code is kept as an int), or the one value."""
    return tuple(str(part) for part in key) if isinstance(key, tuple) else (str(key),)
