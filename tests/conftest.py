"""Shared fixtures: every store-backed test runs against both stores (embedded SQLite and CouchDB)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from numplane.store import store_from_url
from numplane.store.base import Store
from tests.support.couch import CouchServer

STORE_KINDS = ["sqlite", "couchdb"]


@pytest.fixture(scope="session")
def couch_server() -> Iterator[CouchServer | None]:
    """One pouchdb-server for the whole session (or the server named by NUMPLANE_TEST_COUCH_URL)."""
    if os.environ.get("NUMPLANE_TEST_COUCH_URL"):
        yield None
        return
    with CouchServer() as server:
        yield server


@pytest.fixture(scope="session")
def couch_url(couch_server: CouchServer | None) -> str:
    return os.environ.get("NUMPLANE_TEST_COUCH_URL") or (couch_server.url if couch_server else "")


def unique_prefix() -> str:
    # Tests are isolated by database names on one server, never by restarting it.
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture(params=STORE_KINDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(url, db_prefix) of a fresh, empty store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'numplane.db'}", "numplane"
    return request.getfixturevalue("couch_url"), unique_prefix()


@pytest.fixture
async def store(store_url: tuple[str, str]) -> AsyncIterator[Store]:
    url, prefix = store_url
    opened = store_from_url(url, db_prefix=prefix)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
