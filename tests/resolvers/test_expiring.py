"""The authentication cache's map: entries readable for a fixed time after they are put, and bounded."""

from __future__ import annotations

from numplane.resolvers.expiring import Expiring


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_read_until_its_time_is_up_and_not_after() -> None:
    clock = Clock()
    cache: Expiring[str, str] = Expiring(10, 2.0, clock)
    cache["key"] = "requester"
    clock.now += 1.999
    assert cache.get("key") == "requester"
    clock.now += 0.001
    assert cache.get("key") is None
    assert len(cache) == 0  # dropped when found expired


def test_putting_an_entry_again_gives_it_a_new_window() -> None:
    clock = Clock()
    cache: Expiring[str, str] = Expiring(10, 2.0, clock)
    cache["key"] = "old"
    clock.now += 1.5
    cache["key"] = "new"
    clock.now += 1.5
    assert cache.get("key") == "new"


def test_a_full_cache_drops_the_entry_put_first_to_make_room() -> None:
    clock = Clock()
    cache: Expiring[str, int] = Expiring(2, 2.0, clock)
    cache["a"] = 1
    cache["b"] = 2
    cache["a"] = 3  # put again: now the newest
    cache["c"] = 4
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (3, None, 4)
    assert len(cache) == 2


def test_cleared_entries_are_gone() -> None:
    cache: Expiring[str, int] = Expiring(2, 2.0)
    cache["a"] = 1
    cache.clear()
    assert cache.get("a") is None
