"""The CouchDB request counter names each request by its database and kind, whatever its ids and keys."""

from __future__ import annotations

import pytest

from benchmarks.couch_requests import kind


@pytest.mark.parametrize(
    ("method", "target", "named"),
    [
        ("GET", "/numplane_numbers/_changes?include_docs=true&limit=500&since=12", "numbers GET _changes include_docs"),
        ("POST", "/numplane_numbers/_bulk_docs", "numbers POST _bulk_docs"),
        ("POST", "/numplane_accounts/_all_docs?include_docs=true", "accounts POST _all_docs include_docs"),
        ("GET", "/numplane_numbers/_design/numplane/_view/by_state?reduce=false", "numbers GET view by_state"),
        ("GET", "/numplane_system/job%3Awebhooks-feed", "system GET doc"),
        ("GET", "/numplane_system", "system GET info"),
    ],
)
def test_a_request_is_named_by_its_database_and_kind(method: str, target: str, named: str) -> None:
    assert kind(method, target) == named
