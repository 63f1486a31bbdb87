"""What an operation selects below the field being resolved, read from the operation's syntax.

A listing converts its rows before their fields run, and a row whose shown fields cannot be read must be
skipped then: a field error in a row fails the whole page, every row being non-null. The listing reads
only what the rows show (Number.from_doc's deferred parts), so it asks which parts they show.
`@skip`/`@include` are not evaluated and fragments count whatever their type condition: a field that may
be selected counts as selected, which costs a check more, never one fewer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from numplane.schema.context import Info


def selects(info: Info, *path: str) -> bool:
    """Whether the operation selects the field at `path` (names of fields, each below the one before it)
    in what the field being resolved returns."""
    level: list[Selection] = [s for f in info.selected_fields if isinstance(f, SelectedField) for s in f.selections]
    for name in path:
        found = [f for f in _fields(level) if f.name == name]
        if not found:
            return False
        level = [s for f in found for s in f.selections]
    return True


def _fields(selections: Sequence[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection set, those of its fragments included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)
