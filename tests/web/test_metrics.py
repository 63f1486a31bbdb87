"""/metrics after real traffic: the hunt route, store calls, the change feed, the routing cache, job runs,
WebSocket connections and the process collectors, scraped from a real server."""

from __future__ import annotations

import re

import pytest

from numplane.jobs.runner import run_job
from numplane.store.base import StoreUnavailable
from tests.support.served import served_ws
from tests.support.websocket import acknowledged


def value(metrics: str, sample: str) -> float:
    """The value of one sample line (`name{labels}`); fails when the sample is absent."""
    found = re.search(rf"^{re.escape(sample)} (\S+)$", metrics, re.MULTILINE)
    assert found, f"{sample} not in /metrics"
    return float(found.group(1))


async def test_metrics_tell_of_a_hunt_a_job_run_a_websocket_and_the_store(store_url: tuple[str, str]) -> None:
    async with served_ws(store_url) as (api, url):
        router = {"Authorization": f"Bearer {api.keys['router']}"}
        assert (await api.client.get("/hunt/+14155550199", headers=router)).status_code == 200
        assert (await api.client.get("/hunt/+14155550199", headers=router)).status_code == 200
        await run_job(api.services, "aging", holder="test")
        socket = await acknowledged(url, api.keys["child"])
        try:
            open_metrics = (await api.client.get("/metrics")).text
        finally:
            await socket.close()
    assert value(open_metrics, 'numplane_http_requests_total{method="GET",path="/hunt",status="200"}') == 2
    assert value(open_metrics, "numplane_websocket_connections") == 1
    assert value(open_metrics, 'numplane_job_runs_total{job="aging",outcome="done"}') == 1
    assert value(open_metrics, 'numplane_routing_cache_lookups_total{cache="numbers",result="miss"}') == 1
    assert value(open_metrics, 'numplane_routing_cache_lookups_total{cache="numbers",result="hit"}') == 1
    assert value(open_metrics, 'numplane_store_call_seconds_count{operation="get_many"}') > 0
    assert value(open_metrics, 'numplane_store_call_seconds_count{operation="put_many"}') > 0
    assert value(open_metrics, "numplane_change_feed_lag_seconds") >= 0
    assert value(open_metrics, 'numplane_change_feed_subscribers{kind="numbers"}') == 0
    assert value(open_metrics, "process_resident_memory_bytes") > 0
    assert "python_info{" in open_metrics


async def test_store_errors_are_counted_by_operation(
    store_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with served_ws(store_url) as (api, _url):
        async def down() -> None:
            raise StoreUnavailable("down")

        monkeypatch.setattr(api.services.store.inner, "ping", down)  # type: ignore[attr-defined]
        assert (await api.client.get("/readyz")).status_code == 503
        metrics = (await api.client.get("/metrics")).text
    assert value(metrics, 'numplane_store_errors_total{operation="ping"}') == 1
