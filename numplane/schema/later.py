"""Fields whose capability a later issue provides (hunt, carrier search, change feed).

The schema declares them now so the contract is complete; each calls its use case by module path, so the
modules can land without touching the schema. Until one lands, the field answers with a clear error
instead of a made-up result. When they are all on main, these lookups can become plain imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError

HUNT = ("numplane.resolvers.hunt", "hunt_number")
SEARCH = ("numplane.resolvers.search", "search_numbers")
CHANGES = ("numplane.resolvers.changes", "number_changes")
SUBSCRIBE = ("numplane.resolvers.changes", "subscribe")


def use_case(where: tuple[str, str]) -> Callable[..., Any]:
    module_name, function_name = where
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        raise GraphQLError(f"{module_name}.{function_name} is not part of this build yet.") from None
    function: Callable[..., Any] = getattr(module, function_name)
    return function
