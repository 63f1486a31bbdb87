"""How many fields a document selects once its fragment spreads are expanded, counted without expanding.

The depth limit walks every spread into its fragment, so 25 fragments that each spread the one before twice
(a 1 KB document) make it walk 2^24 selections: minutes of the event loop. Counting with a memo per fragment
costs one pass over the document, and a document over the bound is refused before any rule expands it.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


def expanded_fields(document: DocumentNode, bound: int) -> int:
    """Fields the largest operation of `document` selects with fragments expanded (at most just over `bound`:
    counting stops there). A spread of an unknown or cyclic fragment counts nothing: validation reports it."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    sizes: dict[str, int] = {}
    visiting: set[str] = set()

    def fragment_size(name: str) -> int:
        if name in sizes:
            return sizes[name]
        if name in visiting or name not in fragments:
            return 0
        visiting.add(name)
        size = selection_size(fragments[name].selection_set)
        visiting.discard(name)
        sizes[name] = size
        return size

    def selection_size(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + selection_size(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += selection_size(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment_size(selection.name.value)
            if total > bound:
                return total  # far enough: the exact count of a bomb is astronomically large
        return total

    return max(
        (selection_size(d.selection_set) for d in document.definitions if isinstance(d, OperationDefinitionNode)),
        default=0,
    )
