"""Converting many stored documents at once: an unreadable one is skipped and logged, never fatal.

A listing, an export, a job, the change feed or the hunt that meets one document another system wrote
badly must still serve every other document; the operator finds the bad one by its id in the log
(`numplane.unreadable`, WARNING). Reading that one document alone lets `UnreadableDocument` through as
the request's coded error instead (numplane.domain.documents).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from numplane.domain.documents import UnreadableDocument

T = TypeVar("T")
S = TypeVar("S")

log = logging.getLogger("numplane.unreadable")


def skipped(error: UnreadableDocument, reader: str) -> None:
    """Log one skipped document with its id and what is wrong with it."""
    log.warning("%s skipped unreadable document %s: %s", reader, error.doc_id, error.problem)


def read_or_skip(convert: Callable[[S], T], source: S, reader: str) -> T | None:
    """`convert` of one source of many, or None (logged) when it finds the document unreadable."""
    try:
        return convert(source)
    except UnreadableDocument as error:
        skipped(error, reader)
        return None


def readable(convert: Callable[[S], T], sources: Iterable[S], reader: str) -> list[T]:
    """`convert` of each source in order, leaving out (and logging) those it finds unreadable."""
    found: list[T] = []
    for source in sources:
        try:
            found.append(convert(source))
        except UnreadableDocument as error:
            skipped(error, reader)
    return found


def readable_by_id(convert: Callable[[S], T], sources: Mapping[str, S], reader: str) -> dict[str, T]:
    """`readable` over documents by id, keeping the ids."""
    found: dict[str, T] = {}
    for key, source in sources.items():
        try:
            found[key] = convert(source)
        except UnreadableDocument as error:
            skipped(error, reader)
    return found
