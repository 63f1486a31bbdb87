"""API keys (SPEC §10): random tokens shown once, stored hashed, bound to an account and a role."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from numplane.domain import api_keys
from numplane.domain.accounts import Account
from numplane.domain.clock import format_time
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import MAX_NAME, check_text, excerpt
from numplane.resolvers.accounts import get_account, load_accounts
from numplane.resolvers.context import Requester, Role, Services
from numplane.resolvers.rewrite import rewrite
from numplane.store.base import Db, Doc

PREFIX = "np_"


_SHA256 = hashlib.sha256()
"""Never updated: each hash starts from a copy. hashlib.sha256() looks the digest up in OpenSSL 3 anew each
time (EVP_MD_fetch), 1.5 % of a served GET /hunt's samples; a copy does not."""


def _hash(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is safe: there is nothing to brute-force.
    digest = _SHA256.copy()
    digest.update(secret.encode())
    return digest.hexdigest()


def _doc_id(key_id: str) -> str:
    return "key:" + key_id


async def create_key(
    services: Services, requester: Requester, account_id: str, role: str = "user", name: str | None = None
) -> tuple[str, str]:
    """A new key for an account in the requester's tree: (the token, shown only now; its key id).
    Router and admin keys only from admins (SPEC §10)."""
    requester.ensure_may_change()
    api_keys.ensure_known_role(role)
    account = await get_account(services, requester, account_id)
    api_keys.ensure_may_issue(
        role, by_admin=requester.is_admin, in_tree=requester.account.controls(account.id, account.tree),
        for_admin_account=account.is_admin,
    )
    wanted = Role(role)
    return await issue_key(services, account, wanted, name)


async def issue_key(services: Services, account: Account, role: Role, name: str | None) -> tuple[str, str]:
    if name:
        check_text(name, ("name",), limit=MAX_NAME)  # shown in every listing of the account's keys
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    doc: dict[str, Any] = {
        "_id": _doc_id(key_id),
        "pvt_type": "api_key",
        "account_id": account.id,
        "role": role.value,
        "name": name or "",
        "hash": _hash(secret),
        "created": format_time(services.clock()),
        "revoked": False,
    }
    (result,) = await services.store.put_many(Db.SYSTEM, [doc])
    if not result.ok:
        raise DomainError(ErrorCode.CONFLICT, "Key id collision; retry.")
    return f"{PREFIX}{key_id}_{secret}", key_id


async def revoke_key(services: Services, requester: Requester, key_id: str) -> str:
    requester.ensure_may_change()

    async def revoke(doc: Doc | None) -> Doc | None:
        account = (await load_accounts(services, [doc["account_id"]])).get(doc["account_id"]) if doc else None
        if doc is None or account is None or not (
            requester.is_admin or requester.account.controls(account.id, account.tree)
        ):
            raise DomainError(ErrorCode.NOT_FOUND, f"No key {excerpt(key_id)} visible to you.")
        api_keys.ensure_may_revoke(doc.get("role", Role.USER.value), by_admin=requester.is_admin)
        if doc.get("revoked"):
            return None
        return {**doc, "revoked": True, "revoked_at": format_time(services.clock())}

    if await rewrite(services.store, Db.SYSTEM, _doc_id(key_id), revoke, what="The key") is not None:
        services.authenticated.clear()  # the revoked key's entry is under its token's hash, unknown here
    return key_id


async def authenticate(services: Services, token: str) -> Requester | None:
    """The requester behind a bearer token, or None for a malformed, unknown or revoked key."""
    if not token.startswith(PREFIX) or token.count("_") < 2:
        return None
    cached = cached_requester(services, token)
    if cached is not None:
        return cached
    key_id, _, secret = token[len(PREFIX):].partition("_")
    cache_key = _cache_key(token)
    return await services.flights.run(cache_key, lambda: _load_requester(services, key_id, secret, cache_key))


def cached_requester(services: Services, token: str) -> Requester | None:
    """The requester behind a token checked within the auth cache's window, without a store read."""
    return services.authenticated.get(_cache_key(token))


def _cache_key(token: str) -> str:
    return "auth:" + _hash(token)


async def _load_requester(services: Services, key_id: str, secret: str, cache_key: str) -> Requester | None:
    doc = (await services.store.get_many(Db.SYSTEM, [_doc_id(key_id)])).get(_doc_id(key_id))
    if doc is None or doc.get("revoked") or not hmac.compare_digest(doc.get("hash", ""), _hash(secret)):
        return None
    account = (await load_accounts(services, [doc["account_id"]])).get(doc["account_id"])
    if account is None:
        return None
    requester = Requester(account=account, role=Role(doc["role"]), key_id=key_id)
    services.authenticated[cache_key] = requester
    return requester


ROOT_ID = "root"


async def root_account(services: Services) -> Account | None:
    """The root admin account made by `init`, or None before the first `init`."""
    pointer = (await services.store.get_many(Db.SYSTEM, [ROOT_ID])).get(ROOT_ID)
    if pointer is None:
        return None
    return (await load_accounts(services, [pointer["account_id"]])).get(pointer["account_id"])


async def init_root(services: Services, name: str = "root") -> tuple[Account, str, bool]:
    """Create the root admin account if missing and issue a new admin key: (root, key, created)."""
    root = await root_account(services)
    created = False
    if root is None:
        now = services.clock()
        candidate = Account(
            id=secrets.token_hex(16), name=name, allow_additions=True, is_admin=True, created=now, modified=now
        )
        # The account is written before the pointer so the pointer never names a missing account; a
        # second `init` racing this one loses the pointer claim and removes its own account.
        (written,) = await services.store.put_many(Db.ACCOUNTS, [candidate.to_doc()])
        (claim,) = await services.store.put_many(
            Db.SYSTEM, [{"_id": ROOT_ID, "pvt_type": "root", "account_id": candidate.id}]
        )
        if claim.ok:
            created = True
        else:
            await services.store.put_many(
                Db.ACCOUNTS, [{**candidate.to_doc(), "_rev": written.rev, "_deleted": True}]
            )
        root = await root_account(services)
        assert root is not None  # this call or the racing one wrote the pointer and its account
    key, _key_id = await issue_key(services, root, Role.ADMIN, "init")
    return root, key, created


async def root_exists(services: Services) -> bool:
    return ROOT_ID in await services.store.get_many(Db.SYSTEM, [ROOT_ID])
