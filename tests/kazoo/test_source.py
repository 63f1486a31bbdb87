"""Which databases of a Kazoo source hold numbers, whatever the server did to the `/` in their names."""

from __future__ import annotations

import pytest

from numplane.kazoo.source import is_number_database


@pytest.mark.parametrize("name", ["numbers/+1415", "numbers%2F%2B1415", "numbers+1415", "numbers%2F+4420"])
def test_number_databases_are_found_as_kazoo_pouchdb_and_dumps_spell_them(name: str) -> None:
    assert is_number_database(name, "numbers/")


@pytest.mark.parametrize("name", ["numbers/managed", "numbers/inum", "numbersx+1415", "accounts", "numbers"])
def test_other_databases_are_not_number_databases(name: str) -> None:
    assert not is_number_database(name, "numbers/")
