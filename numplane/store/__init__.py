"""Persistence: one small Store interface with an embedded (SQLite) and a CouchDB implementation."""

from __future__ import annotations

from numplane.store.base import Store, UnsupportedStoreUrl, masked


def store_from_url(url: str, *, db_prefix: str = "numplane") -> Store:
    """`sqlite:///path.db` is the embedded store; `http(s)://[user:pass@]host:port` is CouchDB."""
    if url.startswith("sqlite:"):
        from numplane.store.sqlite import SqliteStore

        return SqliteStore(_sqlite_path(url))
    if url.startswith(("http://", "https://")):
        from numplane.store.couchdb import CouchStore

        return CouchStore(url, db_prefix=db_prefix)
    raise UnsupportedStoreUrl(
        f"unsupported store URL {masked(url)!r}: use sqlite:///path.db or http://[user:pass@]host:5984"
    )


def _sqlite_path(url: str) -> str:
    # sqlite:///./numplane.db -> ./numplane.db ; sqlite:////abs/path.db -> /abs/path.db ; sqlite:///:memory:
    path = url.removeprefix("sqlite://")
    return path[1:] if path.startswith("/") else path
