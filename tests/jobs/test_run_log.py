"""A job run's lines name the run (its own id, beside no request's), and its outcome is counted per job."""

from __future__ import annotations

import pytest

from numplane.jobs.runner import Status, run_job
from numplane.store.base import Store, StoreUnavailable
from numplane.store.observed import ObservedStore
from tests.jobs.test_scheduler import FailingStore, services_on
from tests.resolvers.conftest import Clock
from tests.support.log_lines import capture_json, json_lines


async def test_a_run_logs_its_outcome_and_its_slow_store_calls_with_one_run_id(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    capture_json(caplog)
    clock = Clock()
    services = services_on(ObservedStore(store, slow_after=0), clock)
    outcome = await run_job(services, "aging", holder="A")
    again = await run_job(services, "aging", holder="B", slot=clock())
    refused = await run_job(services, "aging", holder="C", slot=clock())
    assert (outcome.status, again.status, refused.status) == (Status.DONE, Status.DONE, Status.REFUSED)
    [done, done_again] = [line for line in json_lines(caplog, "numplane.jobs") if line.get("status") == "done"]
    assert done["job"] == "aging" and done["job_run"].startswith("aging-")
    assert done["job_run"] != done_again["job_run"]
    store_lines = [line for line in json_lines(caplog, "numplane.store") if line.get("job_run") == done["job_run"]]
    assert store_lines, "the run's store calls name the run"
    assert all("request_id" not in line for line in json_lines(caplog))
    assert services.job_runs == {("aging", "done"): 2, ("aging", "refused"): 1}


async def test_a_failed_run_is_logged_with_its_traceback_and_counted(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    capture_json(caplog)
    services = services_on(FailingStore(store), Clock())
    with pytest.raises(StoreUnavailable):
        await run_job(services, "aging", holder="A")
    [failed] = [line for line in json_lines(caplog, "numplane.jobs") if line.get("status") == "failed"]
    assert failed["level"] == "ERROR" and "StoreUnavailable" in failed["exception"]
    assert services.job_runs == {("aging", "failed"): 1}
