"""The exported schema: schema.graphql stays current and contains every name of the binding contract."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema

from numplane.schema.schema import sdl
from tests.support.contract import names

ROOT = Path(__file__).resolve().parents[2]
# CI puts shared/ beside the clone; a worktree checkout sits one level deeper.
CANDIDATES = [ROOT.parent / "shared" / "api.graphql", ROOT.parent.parent / "shared" / "api.graphql"]
CONTRACT = next((p for p in CANDIDATES if p.exists()), CANDIDATES[0])


def test_schema_graphql_is_the_printed_schema() -> None:
    assert (ROOT / "schema.graphql").read_text() == sdl(), "run `make schema` and commit schema.graphql"


def contract() -> str:
    # A missing contract fails: a skip would let a renamed or dropped contract name through unnoticed.
    assert CONTRACT.exists(), f"no contract at {' nor '.join(map(str, CANDIDATES))} (CI puts shared/ beside the clone)"
    return CONTRACT.read_text()


def test_schema_has_every_name_of_the_contract() -> None:
    missing = names(contract()) - names(sdl())
    assert not missing, sorted(missing)


def test_contract_fields_and_arguments_keep_their_types_and_defaults() -> None:
    theirs, ours = build_schema(contract()), build_schema(sdl())
    different = []
    for type_name, kind in theirs.type_map.items():
        if type_name.startswith("__") or not hasattr(kind, "fields"):
            continue
        for field_name, field in kind.fields.items():
            mine = ours.type_map[type_name].fields[field_name]  # type: ignore[union-attr]
            if str(field.type) != str(mine.type):
                different.append(f"{type_name}.{field_name}: {field.type} vs {mine.type}")
            for arg_name, arg in getattr(field, "args", {}).items():
                my_arg = mine.args[arg_name]
                if (str(arg.type), arg.default_value) != (str(my_arg.type), my_arg.default_value):
                    different.append(f"{type_name}.{field_name}({arg_name})")
    assert not different, different
