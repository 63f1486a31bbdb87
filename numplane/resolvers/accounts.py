"""Accounts (SPEC §10): the tree of tenants, who may see and change which account."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from numplane.domain.accounts import Account
from numplane.domain.documents import names_account
from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import excerpt, name_of
from numplane.domain.visibility import can_see_account
from numplane.resolvers.context import Requester, Services
from numplane.resolvers.paging import Page, decode_cursor, encode_cursor, none_listed, page_size
from numplane.resolvers.rewrite import rewrite
from numplane.store.base import HIGH, Db, Doc
from numplane.store.readable import read_or_skip, readable, readable_by_id


def requester_can_see_account(requester: Requester, account: Account) -> bool:
    """Admins see all; others see their own lineage (ancestors) and everything under them."""
    return can_see_account(requester.account, account.id, account.tree, is_admin=requester.is_admin)


async def load_accounts(services: Services, ids: Iterable[str]) -> dict[str, Account]:
    """Accounts by id in one store request (missing ids are absent)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    docs = await services.store.get_many(Db.ACCOUNTS, wanted)
    return readable_by_id(Account.from_doc, docs, "account read")


async def get_account(services: Services, requester: Requester, account_id: str) -> Account:
    """The account, or NOT_FOUND when it does not exist or is outside what the requester may see. A stored
    document that cannot be read is UNREADABLE_DOCUMENT naming the field for admins and the accounts its
    raw tree names; anyone else learns nothing of it."""
    if account_id == requester.id:
        return requester.account
    doc = (await services.store.get_many(Db.ACCOUNTS, [account_id])).get(account_id) if account_id else None
    account = None
    if doc is not None and (requester.is_admin or names_account(doc, requester.id)):
        account = Account.from_doc(doc)  # raises UnreadableDocument
    elif doc is not None:
        account = read_or_skip(Account.from_doc, doc, "account read")
    if account is None or not requester_can_see_account(requester, account):
        raise DomainError(ErrorCode.NOT_FOUND, f"No account {excerpt(account_id)} visible to you.")
    return account


async def create_account(
    services: Services, requester: Requester, name: str, parent_id: str | None = None
) -> Account:
    """A sub-account under the requester or one of its descendants."""
    requester.ensure_may_change()
    name = name_of(name)
    parent = await get_account(services, requester, parent_id or requester.id)
    if not (requester.is_admin or requester.account.controls(parent.id, parent.tree)):
        raise DomainError(
            ErrorCode.FORBIDDEN, "You can create accounts only under your own account or its sub-accounts."
        )
    now = services.clock()
    account = Account(id=uuid.uuid4().hex, name=name, tree=parent.lineage, created=now, modified=now)
    (result,) = await services.store.put_many(Db.ACCOUNTS, [account.to_doc()])
    if not result.ok:
        raise DomainError(ErrorCode.CONFLICT, "Account id collision; retry.")
    return account.with_changes(rev=result.rev)


async def update_account(
    services: Services,
    requester: Requester,
    account_id: str,
    *,
    name: str | None = None,
    enabled: bool | None = None,
    good_standing: bool | None = None,
    allow_additions: bool | None = None,
) -> Account:
    """Rename (owner or ancestors) and change flags (admins only)."""
    requester.ensure_may_change()
    flags = {"enabled": enabled, "good_standing": good_standing, "allow_additions": allow_additions}
    flags = {k: v for k, v in flags.items() if v is not None}
    if flags and not requester.is_admin:
        raise DomainError(ErrorCode.FORBIDDEN, f"Only admins change account flags ({', '.join(flags)}).")
    changes: dict[str, object] = dict(flags)
    if name is not None:
        changes["name"] = name_of(name)

    async def change(doc: Doc | None) -> Doc:
        account = Account.from_doc(doc) if doc is not None else None
        if account is None or not requester_can_see_account(requester, account):
            raise DomainError(ErrorCode.NOT_FOUND, f"No account {excerpt(account_id)} visible to you.")
        if not (requester.is_admin or requester.account.controls(account.id, account.tree)):
            raise DomainError(ErrorCode.FORBIDDEN, "Only the account itself, its ancestors and admins can change it.")
        return account.with_changes(**changes, modified=services.clock()).to_doc()

    written = await rewrite(services.store, Db.ACCOUNTS, account_id, change, what="The account")
    assert written is not None  # `change` always writes or raises
    services.authenticated.clear()  # cached authentications carry account flags
    return Account.from_doc(written)


async def _page(services: Services, scope: str, first: int, after: str | None) -> Page[Account]:
    size = page_size(first)
    position = decode_cursor(after)
    rows = await services.store.query(
        Db.ACCOUNTS, "tree", start=(scope, ""), end=(scope, "", HIGH),
        after=(scope, "", position) if position else None, limit=size + 1,
    )
    shown = rows[:size]
    items = readable(lambda row: Account.from_doc(row.doc), shown, "accounts listing")

    async def total() -> int:
        return await services.store.count(Db.ACCOUNTS, "tree", (scope, ""), (scope, "", HIGH))

    return Page(
        items, [encode_cursor(a.id) for a in items], has_next=len(rows) > size, total=total,
        resume=encode_cursor(shown[-1].id) if shown else None,
    )


async def children(
    services: Services, requester: Requester, account: Account, first: int = 50, after: str | None = None
) -> Page[Account]:
    if not (requester.is_admin or requester.account.controls(account.id, account.tree)):
        return Page([], [], has_next=False, total=none_listed)  # an ancestor's other sub-accounts are not ours
    return await _page(services, "c:" + account.id, first, after)


async def descendants(
    services: Services, requester: Requester, account: Account, first: int = 50, after: str | None = None
) -> Page[Account]:
    if not (requester.is_admin or requester.account.controls(account.id, account.tree)):
        return Page([], [], has_next=False, total=none_listed)
    return await _page(services, "d:" + account.id, first, after)


async def ancestors(services: Services, account: Account) -> list[Account]:
    """Root first. Every ancestor of a visible account is visible (it is in the requester's lineage)."""
    found = await load_accounts(services, account.tree)
    return [found[i] for i in account.tree if i in found]
