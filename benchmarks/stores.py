"""The CouchDB-compatible server a benchmark measures against, started and stopped around it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.couch import CouchServer


@contextmanager
def pouchdb() -> Iterator[str]:
    """A pouchdb-server from node_modules for one measurement; yields its URL and stops it afterwards."""
    with CouchServer() as server:
        yield server.url
