"""The body's nesting bound, decided without a walk when the text cannot nest that deep."""

from __future__ import annotations

import pytest

from numplane.web.body import MAX_NESTING, Refused, decode


@pytest.mark.parametrize("kind", [bytes, str])
def test_a_body_nested_to_the_limit_decodes(kind: type) -> None:
    text = "[" * MAX_NESTING + "]" * MAX_NESTING
    value = decode(text.encode() if kind is bytes else text)
    for _level in range(MAX_NESTING - 1):
        value = value[0]
    assert value == []


@pytest.mark.parametrize("kind", [bytes, str])
def test_a_body_nested_one_past_the_limit_is_refused(kind: type) -> None:
    text = '{"variables": ' + "[" * MAX_NESTING + "]" * MAX_NESTING + "}"
    with pytest.raises(Refused) as refused:
        decode(text.encode() if kind is bytes else text)
    assert refused.value.status == 400 and "nests deeper than" in refused.value.message


def test_brackets_inside_strings_do_not_make_a_shallow_body_refused() -> None:
    # More brackets than the limit, all in a string: the count only says the walk is needed.
    raw = ('{"query": "{ __typename }", "variables": {"s": "' + "[{" * MAX_NESTING + '"}}').encode()
    assert decode(raw)["variables"]["s"] == "[{" * MAX_NESTING
