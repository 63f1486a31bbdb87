"""The carrier calls of the bulk engine: each upstream effect once per change (issue 15).

Calls are made before the write that records them. A number whose write conflicts is decided again in
the next round; what was already done upstream for it in an earlier round is not asked again (an acquire
keeps the order data it answered). Across requests - a retry after a store failure - every call carries
the change's idempotency token (numplane.domain.effects), so the carrier itself answers a repeat without
acting again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from numplane.carriers.base import CarrierError
from numplane.domain.effects import Effect, effect_token
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.lifecycle import Decision
from numplane.domain.numbers import Number
from numplane.resolvers.context import Services

Call = Callable[[str], Awaitable[dict[str, Any] | None]]  # one carrier call, given its token


class CarrierCalls:
    """The carrier effects of one chunk of a bulk request, across its rounds."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._done: dict[tuple[str, Effect], dict[str, Any]] = {}  # (number, effect) -> the carrier's answer

    async def apply(
        self, decisions: dict[str, Decision], before: dict[str, Number], outcome: dict[str, Number | DomainError]
    ) -> None:
        """Acquire before writing; on release remove upstream features (from the number as it was) and
        disconnect. A carrier failure leaves the number as it was. `before`: each number as decided on."""
        calls = [
            self._effects(number_id, decision, before.get(number_id, decision.number), decisions, outcome)
            for number_id, decision in list(decisions.items())
            if decision.acquire or decision.disconnect or decision.deprovision
        ]
        if len(calls) == 1:
            await calls[0]  # a single-number change: nothing to overlap, so no task to run it in
        elif calls:
            await asyncio.gather(*calls)

    async def _effects(
        self,
        number_id: str,
        decision: Decision,
        before: Number,
        decisions: dict[str, Decision],
        outcome: dict[str, Number | DomainError],
    ) -> None:
        try:
            carrier = self._services.carriers.get(decision.number.module)
            if decision.acquire:
                data = await self._once(
                    number_id, before, Effect.ACQUIRE, lambda t: carrier.acquire(number_id, token=t)
                )
                if data:
                    decisions[number_id] = _with_carrier_data(decision, data)
            if decision.deprovision:
                features = decision.deprovision
                await self._once(number_id, before, Effect.DEPROVISION,
                                 lambda t: carrier.deprovision(number_id, features, token=t))
            if decision.disconnect:
                await self._once(number_id, before, Effect.DISCONNECT, lambda t: carrier.disconnect(number_id, token=t))
        except CarrierError as error:
            outcome[number_id] = DomainError(
                ErrorCode.CARRIER_FAILURE,
                f"Carrier {decision.number.module} failed for {number_id}: {error}. Try again later.",
                number=number_id,
            )
            del decisions[number_id]

    async def _once(self, number_id: str, before: Number, effect: Effect, call: Call) -> dict[str, Any]:
        """The answer of `effect` on the number: asked of the carrier the first time in this request."""
        done = self._done.get((number_id, effect))
        if done is not None:
            return done
        answer = await call(effect_token(before, effect)) or {}
        self._done[(number_id, effect)] = answer
        return answer


def _with_carrier_data(decision: Decision, data: dict[str, Any]) -> Decision:
    number = decision.number.with_changes(carrier_data={**decision.number.carrier_data, **data})
    return Decision(number, decision.write, decision.delete, decision.acquire, decision.disconnect,
                    decision.deprovision)
