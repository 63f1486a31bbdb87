"""Tenant isolation as a property (SPEC §3.5), on both stores, through the schema in process.

Hypothesis builds a random account tree under the root, random numbers in every state with random
owners, previous owners, reserve histories and audit trails, and picks a random tenant. For every number
the tenant may not see (the SPEC's reading rule, restated below), every query and mutation that takes a
number, run as that tenant, must answer exactly as it does for a number that does not exist: same data,
same errors, same messages, once the number itself is blanked out. Creating a hidden number may say that
it exists (the SPEC's one exception), but nothing more.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from numplane.domain.accounts import Account
from numplane.domain.history import SYSTEM
from numplane.domain.numbers import Number, Transition
from numplane.domain.states import State
from numplane.resolvers import accounts, keys
from numplane.resolvers.context import Requester, Role, Services
from numplane.schema.context import RequestContext
from numplane.schema.node_ids import to_global_id
from numplane.schema.schema import build_schema
from numplane.settings import Settings
from numplane.store.base import Db, Store

EXAMPLES = 6  # per store; each example runs about 60 operations per hidden number
WHEN = datetime(2026, 11, 1, tzinfo=UTC)
_serial = itertools.count()

REF = "{number: $n, expectedRevision: $rev}"
PAYLOAD = "numbers { e164 state revision } userErrors { code number message field }"
QUERIES = {
    "number": "query($n: String!) { number(number: $n) { e164 state revision history { requester } } }",
    "node": "query($id: ID!) { node(id: $id) { id __typename } }",
    "searchNumbers": "query($n: String!) { searchNumbers(prefix: $n, quantity: 5) { e164 state } }",
    "numbers": "query($n: String!) { numbers(filter: {prefix: $n}) { edges { node { e164 } } } }",
    "me.numbers": "query($n: String!) { me { numbers(filter: {prefix: $n}) { edges { node { e164 } } } } }",
}
MUTATIONS = {
    name: f"mutation($n: String!, $rev: String{', $a: String' if target else ''}) {{ {name}(input: "
    f"{{numbers: [{REF}]{', accountId: $a' if target else ''}}}) {{ {PAYLOAD} }} }}"
    for name, target in (
        ("reserveNumbers", True), ("activateNumbers", True), ("releaseNumbers", False), ("cancelPortIn", False),
        ("completePortIn", False), ("portOutNumbers", False), ("completePortOut", False),
        ("cancelPortOut", False), ("returnNumbers", False), ("deleteNumbers", False),
    )
}
MUTATIONS |= {
    f"updateNumber({mode})": "mutation($n: String!, $rev: String) { updateNumber(input: {number: "
    f"{REF}, {fields}}}) {{ number {{ e164 revision }} userErrors {{ code number message field }} }} }}"
    for mode, fields in (
        ("merge", 'publicFields: {a: 1}'), ("replace", 'publicFields: {a: 1}, replace: true'),
        ("featuresDenied", 'featuresDenied: ["cnam"]'), ("feature", 'publicFields: {cnam: {display_name: "x"}}'),
    )
}
MUTATIONS["huntNumber"] = (
    "mutation($n: String!, $a: String) { huntNumber(input: {number: $n, callerAccountId: $a}) "
    "{ result { disposition account { accountId } } userErrors { code message } } }"
)
CREATIONS = {
    "addNumbers": f"mutation($n: String!, $rev: String) {{ addNumbers(input: {{numbers: [{REF}], state: RESERVED}}) "
    f"{{ {PAYLOAD} }} }}",
    "portInNumbers": f"mutation($n: String!, $rev: String) {{ portInNumbers(input: {{numbers: [{REF}]}}) "
    f"{{ {PAYLOAD} }} }}",
}


def may_see(number: Number, tenant: Account, trees: dict[str, tuple[str, ...]]) -> bool:
    """SPEC §3.5, as written there, for a tenant that is not an admin."""
    if number.state in (State.AVAILABLE, State.DISCOVERY):
        return True
    if number.state is State.DELETED:
        return False
    owner = number.owner
    if owner and (owner == tenant.id or tenant.id in trees[owner]):
        return True
    if owner and number.state is State.RESERVED and owner in tenant.tree:
        return True
    previous = number.previous_owner
    return bool(
        number.state is State.AGING and previous and (previous == tenant.id or tenant.id in trees[previous])
    )


@dataclass(frozen=True)
class NumberSpec:
    state: State
    owner: int | None
    previous: int | None
    reserve_history: tuple[int, ...]
    requesters: tuple[int, ...]
    module: str


numbers_spec = st.builds(
    NumberSpec,
    state=st.sampled_from(list(State)),
    owner=st.none() | st.integers(0, 20),
    previous=st.none() | st.integers(0, 20),
    reserve_history=st.lists(st.integers(0, 20), max_size=3).map(tuple),
    requesters=st.lists(st.integers(0, 20), min_size=1, max_size=3).map(tuple),
    module=st.sampled_from(["inventory", "simulated", "local"]),
)


@dataclass
class World:
    services: Services
    root: Account


async def world_on(store: Store) -> World:
    # No upstream carrier: a number missing from the store stays missing (nothing can supply it).
    services = Services(store=store, settings=Settings(carriers=""))
    root, _key, _created = await keys.init_root(services, "M")
    return World(services, root)


async def grow_tree(world: World, parents: list[int]) -> list[Account]:
    """The root and one account per entry, each under an earlier one."""
    tree = [world.root]
    admin = Requester(world.root, Role.ADMIN)
    for index, parent in enumerate(parents):
        under = tree[parent % (index + 1)]
        tree.append(await accounts.create_account(world.services, admin, f"a{index}", under.id))
    return tree


def build_number(spec: NumberSpec, tree: list[Account]) -> Number:
    def pick(index: int | None) -> Account | None:
        return tree[index % len(tree)] if index is not None else None

    owner, previous = pick(spec.owner), pick(spec.previous)
    trail = [
        Transition(at=WHEN, action="test", from_state=None, to_state=spec.state,
                   requester=(who.id if (who := pick(r)) is not None else SYSTEM),
                   owner_before=previous.id if previous else None, owner_after=owner.id if owner else None).to_doc()
        for r in spec.requesters
    ]
    return Number(
        e164=f"+1415555{next(_serial) % 10_000:04d}", state=spec.state, module=spec.module,
        owner=owner.id if owner else None, assigned_tree=owner.lineage if owner else (),
        previous_owner=previous.id if previous else None,
        reserve_history=tuple(a.id for i in spec.reserve_history if (a := pick(i)) is not None),
        public={"secret": "of the owner"}, created=WHEN, modified=WHEN, state_changed_at=WHEN,
        history_docs=tuple(trail),
    )


async def answer(world: World, tenant: Requester, query: str, variables: dict[str, Any], blank: list[str]) -> str:
    result = await build_schema().execute(
        query, variable_values=variables, context_value=RequestContext.build(world.services, tenant)
    )
    text = json.dumps({"data": result.data, "errors": [e.message for e in result.errors or []]}, sort_keys=True)
    for value in blank:
        text = text.replace(value, "<blank>")
    return text


def variables(number: str, tenant: Account, revision: str | None) -> dict[str, Any]:
    return {"n": number, "rev": revision, "a": tenant.id, "id": to_global_id("PhoneNumber", number)}


# No shrinking: each example costs a second or more against a store, and the failing operation, state
# and answers are already in the assertion message.
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None, phases=[Phase.explicit, Phase.generate])
@given(
    parents=st.lists(st.integers(0, 20), min_size=1, max_size=5),
    specs=st.lists(numbers_spec, min_size=1, max_size=4),
    tenant_index=st.integers(1, 20),
)
async def test_a_tenant_cannot_tell_a_number_it_may_not_see_from_a_missing_one(
    store: Store, parents: list[int], specs: list[NumberSpec], tenant_index: int
) -> None:
    world = await world_on(store)
    tree = await grow_tree(world, parents)
    tenant_account = tree[1 + tenant_index % (len(tree) - 1)]
    tenant = Requester(tenant_account, Role.USER)
    trees = {a.id: a.tree for a in tree}
    seeded = [build_number(spec, tree) for spec in specs]
    written = await store.put_many(Db.NUMBERS, [n.to_doc() for n in seeded])
    assert all(w.ok for w in written), written
    revised = [n.with_changes(rev=w.rev) for n, w in zip(seeded, written, strict=True)]
    hidden = [n for n in revised if not may_see(n, tenant_account, trees)]
    event(f"{len(hidden)} hidden numbers")
    missing = f"+1628555{next(_serial) % 10_000:04d}"
    absent: dict[tuple[str, str | None], str] = {}  # the missing number's answers, the same for every number
    for number in hidden:
        assert number.rev is not None
        blank = [number.e164, missing, to_global_id("PhoneNumber", number.e164), to_global_id("PhoneNumber", missing)]
        for name, query in {**QUERIES, **MUTATIONS}.items():
            # No revision, a wrong one, and the right one (which must not help either).
            for revision in (None, "1-x", number.rev) if "$rev" in query else (None,):
                seen = await answer(world, tenant, query, variables(number.e164, tenant_account, revision), blank)
                key = (name, None if revision is None else "1-x" if revision == "1-x" else "right")
                if key not in absent:
                    missing_vars = variables(missing, tenant_account, revision)
                    absent[key] = await answer(world, tenant, query, missing_vars, blank)
                assert seen == absent[key], (name, number.state, revision, seen, absent[key])
        if number.state is not State.DELETED:
            for name, query in CREATIONS.items():
                plain = await answer(world, tenant, query, variables(number.e164, tenant_account, None), blank)
                for revision in ("1-x", number.rev):
                    again = await answer(world, tenant, query, variables(number.e164, tenant_account, revision), blank)
                    assert again == plain, (name, number.state, again, plain)
                assert "NUMBER_EXISTS" in plain and number.rev not in plain, (name, plain)
    after = await store.get_many(Db.NUMBERS, [n.e164 for n in hidden])
    assert {i: d["_rev"] for i, d in after.items()} == {n.e164: n.rev for n in hidden}  # nothing was changed
