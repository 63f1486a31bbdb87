"""The compiled path fails exactly as graphql-core's executor does, on a schema built to fail.

numplane's resolvers rarely fail, and almost never synchronously: this small strawberry schema fails in
every way a resolver can (raising synchronously and asynchronously, null for a non-null field, a null
item in a list of non-null items, an object of the wrong type, an awaitable from a plain resolver, an
abstract type, a list of awaitables), so that null propagation and error locations are compared on a
generated corpus too. No store: hundreds of operations run in a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from numplane.schema.compiled_executor import CompiledExecutor
from tests.support.operations import Rewrite

EXAMPLES = int(os.environ.get("NUMPLANE_COMPILED_EXAMPLES", "40")) * 3


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Other(Named):
    name: str
    size: int | None = None


@strawberry.type
class Item(Named):
    name: str
    depth: int = 0
    tags: list[str] = strawberry.field(default_factory=list)

    @strawberry.field
    def raises(self) -> str | None:
        raise ValueError(f"sync failure at {self.name}")

    @strawberry.field
    def raises_required(self) -> str:
        raise ValueError(f"required sync failure at {self.name}")

    @strawberry.field
    async def raises_later(self) -> int | None:
        raise ValueError(f"async failure at {self.name}")

    @strawberry.field
    def null_required(self) -> str:
        return None  # type: ignore[return-value]  # the point: a non-null field resolving to null

    @strawberry.field
    async def later(self, n: int = 1) -> int:
        await asyncio.sleep(0)
        return n

    @strawberry.field(graphql_type=str | None)
    def loaded(self) -> Any:  # a plain resolver handing back a coroutine (numplane's Loaded fields)
        async def load() -> str:
            return self.name.upper()

        return load() if self.depth % 2 else self.name

    @strawberry.field
    def children(self, count: int = 2) -> list[Item]:
        if self.depth >= 3:
            return []
        return [Item(name=f"{self.name}.{i}", depth=self.depth + 1, tags=[str(i)]) for i in range(abs(count) % 4)]

    @strawberry.field
    def with_gaps(self) -> list[Item | None]:
        return [Item(name=f"{self.name}.a", depth=3), None]

    @strawberry.field
    def without_gaps(self) -> list[Item]:
        return [Item(name=f"{self.name}.b", depth=3), None]  # type: ignore[list-item]

    @strawberry.field
    def wrong_type(self) -> Item | None:
        return Other(name="impostor")  # type: ignore[return-value]

    @strawberry.field
    def wrong_type_required(self) -> Item:
        return Other(name="impostor")  # type: ignore[return-value]

    @strawberry.field
    def named(self, other: bool = False) -> Named:
        return Other(name="other", size=3) if other else Item(name=f"{self.name}.n", depth=3)

    @strawberry.field
    async def later_items(self) -> list[Item | None]:
        return [Item(name=f"{self.name}.l", depth=3), None]

    @strawberry.field
    def awaited_items(self) -> list[int | None]:
        async def one(i: int) -> int:
            if i == 1:
                raise ValueError("item failure")
            return i

        return [one(i) for i in range(3)]  # type: ignore[misc]


@strawberry.type
class Query:
    @strawberry.field
    def item(self, name: str = "root") -> Item:
        return Item(name=name)

    @strawberry.field
    def maybe(self, present: bool = True) -> Item | None:
        return Item(name="maybe", depth=1) if present else None

    @strawberry.field
    async def fails(self) -> Item:
        raise ValueError("root failure")


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def first(self, name: str = "m1") -> Item:
        return Item(name=name)

    @strawberry.mutation
    def second(self) -> Item | None:
        raise ValueError("mutation failure")


COMPILED = strawberry.Schema(query=Query, mutation=Mutation, types=[Other], execution_context_class=CompiledExecutor)
EXECUTOR = strawberry.Schema(query=Query, mutation=Mutation, types=[Other])
OPERATIONS = queries(COMPILED._schema, allow_x00=False) | mutations(COMPILED._schema, allow_x00=False)


async def answer(schema: strawberry.Schema, query: str, variables: dict[str, Any]) -> Any:
    result = await schema.execute(query, variable_values=variables)
    return result.data, [error.formatted for error in result.errors or []]


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=OPERATIONS, rng=st.randoms(use_true_random=False))
async def test_failures_propagate_on_the_compiled_path_as_in_graphql_core(operation: str, rng: random.Random) -> None:
    rewrite = Rewrite(COMPILED._schema, rng)
    query = rewrite.query(operation)
    assert await answer(COMPILED, query, rewrite.variables) == await answer(EXECUTOR, query, rewrite.variables), query


async def test_a_null_deep_in_non_null_fields_nulls_up_to_the_nearest_nullable_parent() -> None:
    query = "{ maybe { name withoutGaps { name } children { nullRequired } } item { raisesLater loaded } }"
    compiled = await answer(COMPILED, query, {})
    assert compiled == await answer(EXECUTOR, query, {})
    data, errors = compiled
    assert data == {"maybe": None, "item": {"raisesLater": None, "loaded": "root"}}
    assert {tuple(e["path"]) for e in errors} == {("maybe", "withoutGaps", 1), ("item", "raisesLater")}
