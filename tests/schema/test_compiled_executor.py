"""What an operation leaves behind on the compiled path: nothing for the garbage collector.

graphql-core's executor keeps resolver helpers bound to itself on itself, a reference cycle that kept each
request's executor, context and loaders alive until a collection found them; the collections they set off
cost single-number transitions ~0.1 ms of CPU each. Here the collector is off while operations run, so
anything still alive afterwards was held by a cycle, not by a reference.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest
import strawberry

from numplane.schema.compiled_executor import CompiledExecutor


class Context:
    """A request's context: weakly referenceable, so the test can tell when it is freed."""


@strawberry.type
class Payload:
    count: int

    @strawberry.field
    async def later(self) -> int:
        await asyncio.sleep(0)
        return self.count


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, info: strawberry.Info) -> str:
        return "hi" if isinstance(info.context, Context) else "?"


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def bump(self, by: int) -> Payload:
        await asyncio.sleep(0)
        return Payload(count=by + 1)


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation, execution_context_class=CompiledExecutor)


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def context_left_alive(query: str, variables: dict[str, object] | None = None) -> bool:
    context = Context()
    alive = weakref.ref(context)
    result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    del context, result
    return alive() is not None


@pytest.mark.usefixtures("collector_off")
async def test_a_query_frees_its_executor_and_context_as_it_ends() -> None:
    assert not await context_left_alive("{ hello }")


@pytest.mark.usefixtures("collector_off")
async def test_a_mutation_that_waits_frees_its_executor_and_context_as_it_ends() -> None:
    assert not await context_left_alive("mutation($by: Int!) { bump(by: $by) { count later } }", {"by": 2})
