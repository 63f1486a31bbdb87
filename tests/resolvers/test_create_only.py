"""The create-only writing path: numbers in any state written as they are, never over an existing one."""

from __future__ import annotations

from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.resolvers.create_only import Outcome, create_numbers
from numplane.store.base import Db, Store
from tests.support.inventory import in_every_state

TREE = ("a" * 32, "b" * 32, "c" * 32)
PREVIOUS = "e" * 32


async def stored(store: Store, ids: list[str]) -> dict[str, Number]:
    docs = await store.get_many(Db.NUMBERS, ids)
    return {i: Number.from_doc(doc) for i, doc in docs.items()}


async def test_numbers_in_all_nine_states_are_created_with_every_field(store: Store) -> None:
    numbers = in_every_state(TREE, PREVIOUS)
    assert {n.state for n in numbers} == set(State)

    written = await create_numbers(store, numbers, batch=4)

    assert [(w.number, w.outcome) for w in written] == [(n.e164, Outcome.CREATED) for n in numbers]
    back = await stored(store, [n.e164 for n in numbers])
    for number in numbers:
        assert back[number.e164].with_changes(rev=None) == number


async def test_second_run_of_the_same_numbers_changes_nothing(store: Store) -> None:
    numbers = in_every_state(TREE, PREVIOUS)
    await create_numbers(store, numbers)
    revs = {i: n.rev for i, n in (await stored(store, [n.e164 for n in numbers])).items()}

    written = await create_numbers(store, numbers)

    assert {w.outcome for w in written} == {Outcome.IDENTICAL}
    assert {i: n.rev for i, n in (await stored(store, [n.e164 for n in numbers])).items()} == revs


async def test_a_different_existing_number_is_a_conflict_and_is_not_overwritten(store: Store) -> None:
    first, second, *_ = in_every_state(TREE, PREVIOUS)
    await create_numbers(store, [first])
    changed = first.with_changes(state=State.RELEASED, public={"label": "someone else's"})

    written = await create_numbers(store, [changed, second])

    assert [(w.number, w.outcome) for w in written] == [
        (first.e164, Outcome.CONFLICT), (second.e164, Outcome.CREATED)
    ]
    assert written[0].existing is not None and written[0].existing.state is first.state
    assert (await stored(store, [first.e164]))[first.e164].with_changes(rev=None) == first


async def test_a_revision_on_the_input_is_ignored_so_nothing_is_ever_updated(store: Store) -> None:
    number = in_every_state(TREE, PREVIOUS)[0]
    await create_numbers(store, [number])
    current = (await stored(store, [number.e164]))[number.e164]

    written = await create_numbers(store, [current.with_changes(public={"label": "new"})])

    assert written[0].outcome is Outcome.CONFLICT
    assert (await stored(store, [number.e164]))[number.e164].public == number.public
