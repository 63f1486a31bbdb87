"""Automatic persisted queries, Apollo's protocol: a client sends `extensions.persistedQuery: {version: 1,
sha256Hash}` instead of the document; an unknown hash is answered PERSISTED_QUERY_NOT_FOUND (message
"PersistedQueryNotFound", HTTP 200), and the client sends the document once with its hash.

What is kept is the document text under its SHA-256, verified against the text before it is stored, so
no client can plant a document under another's hash; nothing else (no result, no variables, no key, no
account) is kept, so tenants share nothing but texts anyone may send. Memory is bounded: a least recently
used cache holding at most `max_bytes` of document text, per process (another worker or replica that
does not hold a hash answers not-found once, and the client sends the text again).

Only requests carrying the extension reach this module: the hot path pays one dictionary lookup.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, TypeGuard

from numplane.schema.request_errors import BAD_REQUEST, PERSISTED_QUERY_NOT_FOUND, PERSISTED_QUERY_NOT_SUPPORTED

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # Apollo's link matches the message or the code
NOT_SUPPORTED_MESSAGE = "PersistedQueryNotSupported"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueryRefused(Exception):
    """The persisted query cannot be run; `code` and `message` say why, `status` is the HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def wants_persisted(extensions: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    return extensions is not None and "persistedQuery" in extensions


class PersistedQueries:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self.size = 0  # bytes of document text held

    def __len__(self) -> int:
        return len(self._texts)

    def document(self, query: object, extensions: Mapping[str, Any]) -> str:
        """The document to run for a request carrying `extensions.persistedQuery`: the stored text for a
        hash alone; the text sent, once verified against the hash (and stored), for both."""
        if self.max_bytes <= 0:
            raise PersistedQueryRefused(200, PERSISTED_QUERY_NOT_SUPPORTED, NOT_SUPPORTED_MESSAGE)
        digest = _hash_of(extensions["persistedQuery"])
        if isinstance(query, str):
            if hashlib.sha256(query.encode()).hexdigest() != digest:
                raise PersistedQueryRefused(400, BAD_REQUEST, "provided sha does not match query")
            self._keep(digest, query)
            return query
        if query is not None:
            raise PersistedQueryRefused(400, BAD_REQUEST, "The query must be a string.")
        text = self._texts.get(digest)
        if text is None:
            raise PersistedQueryRefused(200, PERSISTED_QUERY_NOT_FOUND, NOT_FOUND_MESSAGE)
        self._texts.move_to_end(digest)
        return text

    def _keep(self, digest: str, text: str) -> None:
        if digest in self._texts:
            self._texts.move_to_end(digest)
            return
        size = len(text.encode())
        if size > self.max_bytes:
            return  # larger than the whole cache: run it, but do not evict everything for it
        self._texts[digest] = text
        self._sizes[digest] = size
        self.size += size
        while self.size > self.max_bytes:
            evicted, _text = self._texts.popitem(last=False)
            self.size -= self._sizes.pop(evicted)


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise PersistedQueryRefused(400, BAD_REQUEST, "extensions.persistedQuery must be an object.")
    if persisted.get("version") != 1:
        raise PersistedQueryRefused(400, BAD_REQUEST, "Unsupported persisted query version; use version 1.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
        raise PersistedQueryRefused(
            400, BAD_REQUEST, "extensions.persistedQuery.sha256Hash must be a SHA-256 in lowercase hex."
        )
    return digest
