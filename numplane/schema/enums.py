"""Enums of the contract. NumberState is the domain's State itself, so no conversion table can drift."""

from __future__ import annotations

from enum import Enum

import strawberry

from numplane.domain.states import State

strawberry.enum(State, name="NumberState")
NumberState = State  # the strawberry definition now lives on State itself


@strawberry.enum
class HuntDisposition(Enum):
    ROUTE = "ROUTE"
    ROUTE_UPSTREAM = "ROUTE_UPSTREAM"
    UNASSIGNED = "UNASSIGNED"
    NOT_ROUTABLE = "NOT_ROUTABLE"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    NOT_FOUND = "NOT_FOUND"
