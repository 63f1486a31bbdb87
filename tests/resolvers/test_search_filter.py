"""searchNumbers with a filter (issue 11), on both stores: pattern, vanity, locality, region, country, type
and near searches over a seeded inventory of real numbers of several countries, each checked against an
expectation computed here with phonenumbers alone; and the index, not the inventory, is what is read."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import phonenumbers
import pytest
from phonenumbers import PhoneNumber, PhoneNumberType, geocoder

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.numbers import Number
from numplane.domain.search import parse_filter
from numplane.domain.states import State
from numplane.resolvers.search import read_filter, search_numbers
from numplane.settings import Settings
from numplane.store.backfill import backfill_localities
from numplane.store.base import Db, Store
from tests.resolvers.conftest import World, make_world
from tests.support.counting import CountingStore
from tests.support.seeding import seed

# National areas of several countries: San Francisco, New York, California (650), US toll-free, Toronto,
# London, Manchester, UK mobiles, Berlin, Munich, German mobiles, Paris, French mobiles, Sydney,
# Australian mobiles, São Paulo.
AREAS = (
    "+1415", "+1212", "+1650", "+1800", "+1416", "+4420", "+44161", "+447700", "+4930", "+4989", "+49151",
    "+331", "+336", "+612", "+614", "+5511",
)
VANITY = ("+14157499201", "+12127499288", "+442074992000", "+493074992111")  # contain 74992 (PIZZA)
PER_AREA = 12


def inventory() -> list[str]:
    """Valid numbers under each area (seeded: the same on every run), plus the vanity numbers."""
    rng = random.Random("search-filter-inventory")
    found: list[str] = list(VANITY)
    for area in AREAS:
        kept = 0
        while kept < PER_AREA:
            length = rng.choice((11, 12, 13))
            candidate = area + "".join(rng.choice("0123456789") for _ in range(length - len(area) + 1))
            parsed = phonenumbers.parse(candidate, None)
            if phonenumbers.is_valid_number(parsed) and candidate not in found:
                found.append(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
                kept += 1
    return sorted(set(found))


NUMBERS = inventory()


def parsed(number: str) -> PhoneNumber:
    return phonenumbers.parse(number, None)


def national(number: str) -> str:
    return phonenumbers.national_significant_number(parsed(number))


def description(number: str) -> str:
    return str(geocoder.description_for_number(parsed(number), "en"))


def expected(prefix: str, keep: Callable[[str], bool]) -> list[str]:
    return [n for n in NUMBERS if n.startswith(prefix) and keep(n)]


@pytest.fixture
async def stocked(store: Store) -> World:
    # Written as documents (Number.to_doc computes the locality, as every write does), not through the API.
    await seed(store, (Number(e164=n, state=State.AVAILABLE, module="inventory") for n in NUMBERS))
    # A sold number matching every pattern below must never be offered.
    await seed(store, [Number(e164="+14157499299", state=State.IN_SERVICE, module="inventory")])
    return await make_world(store, Settings(carriers=""))  # the store alone answers


async def found(world: World, prefix: str, quantity: int = 100, **fields: object) -> list[str]:
    search = await read_filter(world.services, fields)
    return [c.e164 for c in await search_numbers(world.services, world.child, prefix, quantity, search=search)]


CASES: dict[str, tuple[str, dict[str, object], Callable[[str], bool]]] = {
    "vanity": ("+", {"contains": "PIZZA"}, lambda n: "74992" in national(n)),
    "vanity_in_one_country": ("+1", {"contains": "pizza"}, lambda n: "74992" in national(n)),
    "wildcards": ("+4", {"contains": "7*9*2"}, lambda n: re.search(r"7\d9\d2", national(n)) is not None),
    "starts_with": ("+44", {"starts_with": "20"}, lambda n: national(n).startswith("20")),
    "ends_with": ("+1", {"ends_with": "1"}, lambda n: n.endswith("1")),
    "ends_with_wildcard": ("+49", {"ends_with": "1*1"}, lambda n: re.search(r"1\d1$", n) is not None),
    "locality": ("+1", {"locality": "San Francisco"}, lambda n: description(n).startswith("San Francisco, ")),
    "locality_folded": ("+", {"locality": "  SAO-paulo "}, lambda n: description(n) == "São Paulo"),
    "locality_accented": ("+55", {"locality": "São Paulo"}, lambda n: description(n) == "São Paulo"),
    "region_by_name": (
        "+1", {"region": "california"}, lambda n: description(n).endswith(", CA") or description(n) == "California"
    ),
    "region_by_code": (
        "+1", {"region": "ON"}, lambda n: description(n).endswith(", ON") or description(n) == "Ontario"
    ),
    "country": ("+", {"country": "gb"}, lambda n: phonenumbers.region_code_for_number(parsed(n)) == "GB"),
    "toll_free": (
        "+", {"types": ["TOLL_FREE"]}, lambda n: phonenumbers.number_type(parsed(n)) == PhoneNumberType.TOLL_FREE
    ),
    "mobile": (
        "+4", {"types": ["MOBILE"]},
        lambda n: phonenumbers.number_type(parsed(n)) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE),
    ),
    "combined": (
        "+", {"country": "US", "contains": "9*2", "types": ["FIXED_LINE"]},
        lambda n: n.startswith("+1") and phonenumbers.region_code_for_number(parsed(n)) == "US"
        and re.search(r"9\d2", national(n)) is not None
        and phonenumbers.number_type(parsed(n)) != PhoneNumberType.TOLL_FREE,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_filtered_search_finds_exactly_the_numbers_phonenumbers_says_match(stocked: World, case: str) -> None:
    prefix, fields, keep = CASES[case]
    want = expected(prefix, keep)
    assert 0 < len(want) < 100, "the case must select some of the inventory, within one answer"
    assert await found(stocked, prefix, **fields) == want


async def test_near_puts_numbers_sharing_the_longest_prefix_first(stocked: World) -> None:
    near = "+14155550123"
    got = await found(stocked, "+1", 20, near=near)

    def shared(n: str) -> int:
        return next((i for i, (a, b) in enumerate(zip(n, near, strict=False)) if a != b), min(len(n), len(near)))

    lengths = [shared(n) for n in got]
    assert lengths == sorted(lengths, reverse=True)
    assert lengths[0] == max(shared(n) for n in NUMBERS if n.startswith("+1"))
    under_sf = expected("+1415", lambda n: True)
    assert set(got[: len(under_sf)]) == set(under_sf)  # every San Francisco number before any other
    assert len(got) == 20


@pytest.mark.parametrize(
    ("fields", "most"),
    [({"contains": "PIZZA"}, 4), ({"locality": "manchester"}, PER_AREA), ({"ends_with": "74992000"}, 1)],
    ids=["contains", "locality", "ends_with"],
)
async def test_a_filtered_search_reads_the_index_range_not_the_inventory(
    store: Store, fields: dict[str, object], most: int
) -> None:
    await seed(store, (Number(e164=n, state=State.AVAILABLE, module="inventory") for n in NUMBERS))
    counting = CountingStore(store)
    world = await make_world(counting, Settings(carriers=""))
    search = await read_filter(world.services, fields)
    counting.calls.clear()
    counting.documents_read = 0
    result = await search_numbers(world.services, world.child, "+", 100, search=search)
    assert result
    assert counting.calls["query:numbers"] == 1
    assert counting.documents_read <= most + 1  # the matching rows, and the system config
    assert len(NUMBERS) > 10 * most


async def test_candidates_carry_their_locality_region_country_and_type(stocked: World) -> None:
    search = parse_filter(locality="san francisco")
    (first, *_rest) = await search_numbers(stocked.services, stocked.child, "+1", 3, search=search)
    assert (first.where.locality, first.where.region, first.where.country) == ("San Francisco", "CA", "US")
    assert first.where.type == PhoneNumberType.to_string(phonenumbers.number_type(parsed(first.e164)))


async def test_numbers_written_before_localities_are_found_after_the_backfill(store: Store) -> None:
    old = [Number(e164=n, state=State.AVAILABLE, module="inventory").to_doc() for n in VANITY]
    for doc in old:
        del doc["pvt_locality"]
    assert all(r.ok for r in await store.put_many(Db.NUMBERS, old))
    world = await make_world(store, Settings(carriers=""))
    assert await found(world, "+", contains="PIZZA") == []
    assert await backfill_localities(store, page=3) == len(VANITY)
    assert await found(world, "+", contains="PIZZA") == sorted(VANITY)
    assert await backfill_localities(store) == 0  # done once: later starts read one marker


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"contains": "7"}, "contains"),
        ({"contains": "74-99"}, "contains"),
        ({"contains": "**"}, "contains"),
        ({"contains": "1" * 17}, "contains"),
        ({"starts_with": ""}, "startsWith"),
        ({"country": "XX"}, "country"),
        ({"locality": "--"}, "locality"),
        ({"types": ["LANDLINE"]}, "types"),
        ({"near": "not a number"}, "near"),
    ],
)
async def test_a_malformed_filter_is_invalid_field_naming_it(
    world: World, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        await read_filter(world.services, fields)
    assert caught.value.code is ErrorCode.INVALID_FIELD
    assert caught.value.field == ("filter", field)


async def test_the_simulated_carrier_offers_numbers_answering_the_filter_saved_as_discovery(world: World) -> None:
    search = parse_filter(contains="PIZZA", locality="London")
    offered = await search_numbers(world.services, world.child, "+44", 3, search=search)
    assert len(offered) == 3
    for candidate in offered:
        assert candidate.state is State.DISCOVERY and candidate.carrier == "simulated"
        assert "74992" in national(candidate.e164) and description(candidate.e164) == "London"
    saved = await world.services.store.get_many(Db.NUMBERS, [c.e164 for c in offered])
    assert {d["pvt_state"] for d in saved.values()} == {"discovery"}


async def test_a_carrier_that_cannot_apply_a_condition_is_not_asked(world: World) -> None:
    simulated = world.services.carriers.get("simulated")
    simulated.supports = frozenset({"contains"})  # type: ignore[misc]  # this instance only
    found_numbers = await search_numbers(
        world.services, world.child, "+44", 3, search=parse_filter(contains="PIZZA", locality="London")
    )
    assert found_numbers == []
    assert await search_numbers(world.services, world.child, "+44", 3, search=parse_filter(contains="PIZZA"))
