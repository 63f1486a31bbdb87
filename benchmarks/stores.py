"""The CouchDB-compatible server a benchmark measures against, started and stopped around it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.couch import CouchServer


@contextmanager
def pouchdb() -> Iterator[str]:
    """A pouchdb-server from node_modules for one measurement; yields its URL and stops it afterwards."""
    with CouchServer() as server:
        yield server.url


def each_store(*, couch: bool = True) -> Iterator[tuple[str, str]]:
    """("sqlite", a fresh file's URL), then ("couchdb", a fresh pouchdb-server's URL) unless `couch` is
    False: each torn down after its turn, so a benchmark measures both stores one after the other on a
    quiet machine."""
    with tempfile.TemporaryDirectory() as directory:
        yield "sqlite", f"sqlite:///{Path(directory) / 'numplane.db'}"
    if couch:
        with pouchdb() as url:
            yield "couchdb", url
