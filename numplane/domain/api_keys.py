"""Who may hold and hand out which kind of API key (SPEC §10).

A `router` key hunts every tenant's numbers and an `admin` key does everything: both are platform
infrastructure, so only admins issue or revoke them. A user key hands out `user` keys in its own tree.
"""

from __future__ import annotations

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import excerpt

USER, ROUTER, ADMIN = "user", "router", "admin"
ROLES = (USER, ROUTER, ADMIN)
PLATFORM_ROLES = frozenset({ROUTER, ADMIN})


def ensure_known_role(role: str) -> None:
    if role not in ROLES:
        raise DomainError(
            ErrorCode.INVALID_FIELD, f"Unknown role {excerpt(role)!r}: use {', '.join(ROLES)}.", field=("role",)
        )


def ensure_may_issue(role: str, *, by_admin: bool, in_tree: bool, for_admin_account: bool) -> None:
    """`in_tree`: the key's account is the requester's own or one of its descendants."""
    ensure_known_role(role)
    if not (by_admin or in_tree):
        raise DomainError(ErrorCode.FORBIDDEN, "You can create keys only for your account or its sub-accounts.")
    if role == ADMIN and not (by_admin and for_admin_account):
        raise DomainError(ErrorCode.FORBIDDEN, "Admin keys exist only for the root account, made by an admin.")
    if role == ROUTER and not by_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Only admins create router keys (a router key hunts every tenant's numbers); create a user key.",
            field=("role",),
        )


def ensure_may_revoke(role: str, *, by_admin: bool) -> None:
    """Called once the key is known to be in the requester's tree (otherwise it does not exist for it)."""
    if role in PLATFORM_ROLES and not by_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, f"Only admins revoke {role} keys: they belong to the platform, not the tenant."
        )


def ensure_may_stay_connected(*, key_valid: bool, account_enabled: bool) -> None:
    """A WebSocket authenticates once and may then stream changes for hours: it is served only while its
    key is still valid (not revoked, its account not removed) and its account enabled. Disabling an
    account is how an operator cuts a tenant off; a disabled account may still read by asking (HTTP), but
    it does not keep or open a live feed of changes (issue 15)."""
    if not key_valid:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "The API key of this connection was revoked.")
    if not account_enabled:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED, "The account of this connection is disabled.")
