"""Counting the fields a document selects with its fragments expanded, without expanding them."""

from __future__ import annotations

from graphql import parse

from numplane.schema.expansion import expanded_fields
from numplane.schema.policy import Preparation
from numplane.schema.schema import build_schema


def bomb(levels: int) -> str:
    """`levels` fragments, each spreading the one before twice: 2^levels fields in a document of ~1 KB."""
    fragments = " ".join(f"fragment F{i} on Account {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels))
    return f"{{ me {{ ...F{levels - 1} }} }} fragment F0 on Account {{ name }} {fragments}"


def test_a_fragment_spread_counts_its_fields_wherever_it_is_spread() -> None:
    document = parse("{ me { ...A parent { ...A } } } fragment A on Account { name accountId }")
    assert expanded_fields(document, 100) == 6  # me, parent, and A's two fields twice


def test_counting_a_fragment_bomb_stops_just_over_the_bound() -> None:
    assert 5000 < expanded_fields(parse(bomb(60)), 5000) < 10_000


def test_a_cycle_or_an_unknown_fragment_counts_nothing_and_is_left_to_validation() -> None:
    document = parse("{ me { ...A ...Missing } } fragment A on Account { name ...B } fragment B on Account { ...A }")
    assert expanded_fields(document, 100) == 2


def test_a_fragment_bomb_is_refused_as_over_the_token_limit_before_the_depth_rule_expands_it() -> None:
    preparation = Preparation(max_tokens=5000, max_document_chars=131072, max_depth=10, max_aliases=30,
                              introspection=False)
    (error,) = preparation.validate(bomb(60), build_schema()._schema, ())
    assert error.extensions == {"code": "LIMIT_EXCEEDED", "limit": "tokens", "max": 5000}
