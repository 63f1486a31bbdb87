"""The simulated upstream carrier: deterministic offers, exact `check`, configured failures."""

from __future__ import annotations

import phonenumbers
import pytest

from numplane.carriers import simulated
from numplane.carriers.base import CarrierError
from numplane.carriers.simulated import SimulatedCarrier, is_offered, offers
from numplane.domain.e164 import normalize
from numplane.domain.effects import Effect


async def test_search_offers_valid_e164_numbers_under_the_prefix() -> None:
    found = await SimulatedCarrier().search("+1415", 10)
    assert len(found) == 10
    assert len(set(found)) == 10
    for number in found:
        assert number.startswith("+1415")
        assert normalize(number) == number
        assert phonenumbers.is_valid_number(phonenumbers.parse(number, None))


async def test_the_same_prefix_always_gives_the_same_numbers_in_the_same_order() -> None:
    first = await SimulatedCarrier().search("+4420", 8)
    again = await SimulatedCarrier(latency_ms=1).search("4420", 8)
    assert first == again
    assert (await SimulatedCarrier().search("+4420", 3)) == first[:3]


async def test_different_prefixes_give_different_numbers() -> None:
    assert set(await SimulatedCarrier().search("+1415", 5)).isdisjoint(await SimulatedCarrier().search("+1212", 5))


async def test_search_under_an_unassigned_country_code_finds_nothing() -> None:
    assert await SimulatedCarrier().search("+999", 5) == []


async def test_search_for_zero_numbers_finds_none() -> None:
    assert await SimulatedCarrier().search("+1415", 0) == []


@pytest.mark.parametrize("prefix", ["+1415", "+1", "+44", "+33", "+1212555"])
async def test_check_is_true_for_every_number_search_offers(prefix: str) -> None:
    carrier = SimulatedCarrier()
    for number in await carrier.search(prefix, 10):
        assert await carrier.check(number)


async def test_check_is_true_exactly_when_search_offers_the_number_for_its_own_digits() -> None:
    carrier = SimulatedCarrier()
    candidates = [f"+1415555{i:04d}" for i in range(200)]
    verdicts = [await carrier.check(n) for n in candidates]
    assert any(verdicts)
    assert not all(verdicts)  # a carrier that can supply anything would not be a useful simulation
    for number, verdict in zip(candidates, verdicts, strict=True):
        assert (await carrier.search(number, 1) == [number]) is verdict


@pytest.mark.parametrize("number", ["+1415", "+14155550123x", "+1 415 555 0123", "+330730029450", "nonsense"])
def test_invalid_or_non_canonical_numbers_are_never_offered(number: str) -> None:
    assert not is_offered(number)


async def test_acquire_returns_carrier_data_for_an_offered_number() -> None:
    number = offers("+1415", 1)[0]
    data = await SimulatedCarrier().acquire(number, token="t1")
    assert data["carrier"] == "simulated"
    assert data["simulated"] is True
    assert data == await SimulatedCarrier().acquire(number, token="t2")


async def test_acquire_fails_for_a_number_listed_in_failures() -> None:
    number = offers("+1415", 1)[0]
    with pytest.raises(CarrierError) as caught:
        await SimulatedCarrier(failures=(number,)).acquire(number, token="t1")
    assert caught.value.number == number
    assert "configured failure" in caught.value.message


async def test_acquire_fails_for_every_number_under_a_failing_prefix_and_only_those() -> None:
    carrier = SimulatedCarrier(failures=("1332555",))  # normalized to +1332555
    for number in offers("+1332555", 3):
        with pytest.raises(CarrierError):
            await carrier.acquire(number, token=number)
    await carrier.acquire(offers("+1415", 1)[0], token="t1")


async def test_acquire_of_a_number_it_does_not_offer_fails() -> None:
    carrier = SimulatedCarrier()
    refused = next(f"+1415555{i:04d}" for i in range(1000) if not is_offered(f"+1415555{i:04d}"))
    with pytest.raises(CarrierError) as caught:
        await carrier.acquire(refused, token="t1")
    assert "not in its inventory" in caught.value.message


async def test_disconnect_of_a_number_it_offers_succeeds() -> None:
    carrier = SimulatedCarrier()
    assert await carrier.disconnect(offers("+1415", 1)[0], token="t1") is None
    assert carrier.name == "simulated"


async def test_an_acquire_repeated_with_its_token_answers_as_the_first_time_and_orders_nothing_more() -> None:
    carrier = SimulatedCarrier()
    number = offers("+1415", 1)[0]
    first = await carrier.acquire(number, token="change-1")
    assert await carrier.acquire(number, token="change-1") == first
    assert carrier.performed(Effect.ACQUIRE, number) == 1
    assert carrier.repeated(Effect.ACQUIRE, number) == 1
    await carrier.acquire(number, token="change-2")  # another change: another order
    assert carrier.performed(Effect.ACQUIRE, number) == 2


async def test_a_release_repeated_with_its_tokens_removes_features_and_disconnects_once() -> None:
    carrier = SimulatedCarrier()
    number = offers("+1415", 1)[0]
    for _ in range(3):
        await carrier.deprovision(number, {"cnam": {"display_name": "ACME"}}, token="strip-1")
        await carrier.disconnect(number, token="gone-1")
    assert carrier.deprovisioned == [(number, {"cnam": {"display_name": "ACME"}})]
    assert [carrier.performed(e, number) for e in (Effect.DEPROVISION, Effect.DISCONNECT)] == [1, 1]
    assert [carrier.repeated(e, number) for e in (Effect.DEPROVISION, Effect.DISCONNECT)] == [2, 2]


async def test_a_failed_acquire_is_not_remembered_so_a_retry_may_succeed() -> None:
    number = offers("+1332555", 1)[0]
    carrier = SimulatedCarrier(failures=(number,))
    with pytest.raises(CarrierError):
        await carrier.acquire(number, token="change-1")
    carrier.failures = ()
    assert (await carrier.acquire(number, token="change-1"))["carrier"] == "simulated"
    assert carrier.repeated(Effect.ACQUIRE, number) == 0


async def test_a_token_reused_for_another_call_is_refused() -> None:
    carrier = SimulatedCarrier()
    number, other = offers("+1415", 2)
    await carrier.acquire(number, token="change-1")
    with pytest.raises(CarrierError, match="another call"):
        await carrier.disconnect(other, token="change-1")


async def test_the_tokens_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulated, "IDEMPOTENCY_WINDOW", 3)
    carrier = SimulatedCarrier()
    number = offers("+1415", 1)[0]
    for token in ("a", "b", "c", "d", "e"):
        await carrier.disconnect(number, token=token)
    assert carrier.performed(Effect.DISCONNECT, number) == 3  # the two oldest tokens are forgotten
