"""The number hunt (SPEC §6): where a call to a number goes, from the number's state and owner alone.

The router asks this for every inbound call, so the rule takes plain facts (no store, no Number
document) that the routing cache keeps in memory.
"""

from __future__ import annotations

from enum import Enum

from numplane.domain.states import State

S = State


class Disposition(str, Enum):
    ROUTE = "ROUTE"  # to the owner
    ROUTE_UPSTREAM = "ROUTE_UPSTREAM"  # the number is still (or already) served by another carrier
    UNASSIGNED = "UNASSIGNED"  # reaches the cluster, no owner
    NOT_ROUTABLE = "NOT_ROUTABLE"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"  # the owner is disabled
    NOT_FOUND = "NOT_FOUND"


_NOT_ROUTABLE = frozenset({S.DISCOVERY, S.RESERVED, S.RELEASED, S.AGING})
_PORTING = frozenset({S.PORT_IN, S.PORT_OUT})


def in_owner_tree(owner: str, caller_lineage: tuple[str, ...]) -> bool:
    """The caller is the owner or one of its descendants ("in O's tree", SPEC §3.1).

    `caller_lineage` is the caller's ancestors plus the caller, root first.
    """
    return owner in caller_lineage


def disposition(
    state: State | None,
    owner: str | None,
    owner_enabled: bool,
    caller_lineage: tuple[str, ...] | None,
) -> Disposition:
    """Where a call goes. `state` None: the number is not in the store. `caller_lineage` None: the call
    comes from an upstream carrier; otherwise the calling account's ancestors plus itself."""
    if state is None or state is S.DELETED:
        return Disposition.NOT_FOUND
    if state is S.AVAILABLE:
        return Disposition.UNASSIGNED
    if state in _NOT_ROUTABLE or owner is None:
        return Disposition.NOT_ROUTABLE
    # in_service, port_in, port_out: each can route to the owner, so a disabled owner stops them all
    # (as Kazoo's number lookup does before it looks at the port).
    if not owner_enabled:
        return Disposition.ACCOUNT_DISABLED
    if state in _PORTING and caller_lineage is not None and not in_owner_tree(owner, caller_lineage):
        return Disposition.ROUTE_UPSTREAM
    return Disposition.ROUTE


def completes_port(state: State | None, caller_lineage: tuple[str, ...] | None, result: Disposition) -> bool:
    """The first call from a carrier to a routable port_in number completes the port (SPEC §6)."""
    return state is S.PORT_IN and caller_lineage is None and result is Disposition.ROUTE
