"""Numbers that are not in the store yet, found at an upstream carrier (SPEC §3.2, §5)."""

from __future__ import annotations

from numplane.domain import lifecycle
from numplane.domain.lifecycle import DecisionContext
from numplane.domain.numbers import Number
from numplane.domain.states import State
from numplane.domain.transitions import SYSTEM_ACTOR
from numplane.resolvers.bulk import Supply
from numplane.resolvers.context import Services
from numplane.store.base import Db


def supplier(services: Services) -> Supply:
    """Ask the enabled upstream carriers whether one can supply a missing number; if one can, save it in
    `discovery` first, so a failed acquire leaves it there to expire (SPEC §3.2)."""

    async def supply(e164: str, ctx: DecisionContext) -> Number | None:
        for carrier in services.carriers.upstream(ctx.config.carriers):
            if await carrier.check(e164):
                system = DecisionContext(actor=SYSTEM_ACTOR, config=ctx.config, now=ctx.now)
                found = lifecycle.create(e164, State.DISCOVERY, system, None, module=carrier.name).number
                (result,) = await services.store.put_many(Db.NUMBERS, [found.to_doc()])
                if result.ok:
                    return found.with_changes(rev=result.rev)
                # Someone saved it meanwhile: read what is there and decide on that.
                docs = await services.store.get_many(Db.NUMBERS, [e164])
                return Number.from_doc(docs[e164]) if e164 in docs else None
        return None

    return supply
