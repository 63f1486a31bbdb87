"""A small Kazoo deployment, written by hand from Kazoo's documented shapes: accounts in a 3-level tree,
numbers in every state and module, legacy shapes (list features, pvt_number_state, wnm_ modules, missing
timestamps, no pvt_type) and broken documents, seeded into pouchdb-server or dumped into a folder."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from numplane.domain.clock import GREGORIAN_OFFSET

MODIFIED = 63_900_000_000  # Gregorian seconds: 2025-01-04
ROOT = "4a5b6c7d8e9f00112233445566778899"
RESELLER = "account0000000000000000000000002"  # the id style of Kazoo's own fixtures
CHILD = "test-child"  # older data: not 32 hex characters
ORPHAN = "f" * 32  # its parent is not in the dump
GHOST = "e" * 32

E911 = {"street_address": "140 New Montgomery", "locality": "San Francisco", "region": "CA",
        "postal_code": "94105", "latitude": "37.7866", "longitude": "-122.3991"}


def account(account_id: str, name: str, tree: list[str], **extra: Any) -> dict[str, Any]:
    return {"_id": account_id, "pvt_type": "account", "name": name, "realm": f"{name}.example", "pvt_tree": tree,
            "pvt_enabled": True, "pvt_created": MODIFIED - 1000, "pvt_modified": MODIFIED, **extra}


ACCOUNTS = [
    account(ROOT, "kazoo-root", [], pvt_superduper_admin=True, pvt_wnm_allow_additions=True),
    account(RESELLER, "reseller", [ROOT]),
    account(CHILD, "child", [ROOT, RESELLER]),
    account(ORPHAN, "orphan", [GHOST]),
    {"_id": "_design/accounts", "views": {}},
]


def number(e164: str, state: str | None, owner: str | None, module: str | None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": e164, "pvt_type": "number", "pvt_db_name": "numbers%2F" + quote(e164[:5]), "pvt_state": state,
        "pvt_assigned_to": owner, "pvt_module_name": module, "pvt_created": MODIFIED - 500, "pvt_modified": MODIFIED,
        "pvt_authorizing_account": ROOT,
    }
    doc.update(extra)
    return {k: v for k, v in doc.items() if v is not None}


NUMBERS_1415 = [
    number("+14155550101", "in_service", CHILD, "knm_local", pvt_features=["local", "dash_e911"],
           dash_e911=dict(E911), used_by="callflow", ui_metadata={"origin": "kazoo-ui"}),
    number("+14155550102", "reserved", CHILD, "knm_bandwidth2", pvt_reserve_history=[CHILD, RESELLER],
           pvt_carrier_data={"number_id": "bw-102"}),
    number("+14155550103", None, None, "wnm_local", pvt_number_state="available"),
    number("+14155550104", "port_in", RESELLER, "knm_telnyx", pvt_ported_in=True, cnam={"display_name": "ACME"}),
    number("+14155550105", "port_out", CHILD, "knm_vitelity", pvt_used_by="trunkstore"),
    number("+14155550106", "aging", None, "knm_pacwest", pvt_previously_assigned_to=CHILD),
    number("+14155550107", "released", None, "knm_other", pvt_previously_assigned_to=RESELLER),
    number("+14155550108", "discovery", None, "knm_telnyx"),
    {"_id": "+14155550109", "pvt_state": "in_service", "pvt_assigned_to": ROOT, "pvt_module_name": "knm_mdn",
     "pvt_created": "undefined"},
    # Broken: each is reported and skipped.
    number("+14155550110", "in_service", "0" * 32, "knm_local"),
    number("+14155550111", "disconnected", None, "knm_local"),
    number("+14155550112", "in_service", CHILD, "knm_local", pvt_deleted=True),
    number("+14155550113", "discovery", None, "knm_local"),
    number("+14155", "available", None, "knm_local"),
    {"_id": "_design/numbers", "views": {}},
]
NUMBERS_4420 = [
    number("+442071234567", "in_service", RESELLER, "wnm_bandwidth", pvt_features={"inbound_cnam": {}}),
    number("+442071234568", "in_service", ORPHAN, "knm_local"),
]
REFUSED_NUMBERS = {"+14155550110", "+14155550111", "+14155550112", "+14155550113", "+14155", "+442071234568"}
IMPORTED_NUMBERS = {str(d["_id"]) for d in NUMBERS_1415 + NUMBERS_4420
                    if not str(d["_id"]).startswith("_")} - REFUSED_NUMBERS


@dataclass
class KazooSource:
    """A seeded Kazoo deployment on a pouchdb-server, isolated by a unique database name prefix."""

    url: str
    prefix: str

    @property
    def accounts_db(self) -> str:
        return f"{self.prefix}_accounts"

    @property
    def numbers_prefix(self) -> str:
        return f"{self.prefix}_numbers/"

    def numbers_db(self, e164: str) -> str:
        return f"{self.numbers_prefix}{e164[:5]}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Accept": "application/json"}, timeout=30)

    def put(self, db: str, docs: Iterable[dict[str, Any]]) -> dict[str, str]:
        """Write documents (creating the database); their new revisions by id."""
        with self.client() as client:
            client.put(f"/{quote(db, safe='')}")
            reply = client.post(f"/{quote(db, safe='')}/_bulk_docs", json={"docs": list(docs)})
            reply.raise_for_status()
            return {row["id"]: row["rev"] for row in reply.json()}

    def get(self, db: str, doc_id: str) -> dict[str, Any]:
        with self.client() as client:
            reply = client.get(f"/{quote(db, safe='')}/{quote(doc_id, safe='')}")
            reply.raise_for_status()
            result: dict[str, Any] = reply.json()
            return result

    def delete(self, db: str, doc_id: str) -> None:
        rev = self.get(db, doc_id)["_rev"]
        with self.client() as client:
            client.delete(f"/{quote(db, safe='')}/{quote(doc_id, safe='')}", params={"rev": rev}).raise_for_status()


def seed_kazoo(url: str) -> KazooSource:
    source = KazooSource(url, "kz" + uuid.uuid4().hex[:10])
    source.put(source.accounts_db, ACCOUNTS)
    source.put(source.numbers_db("+1415"), NUMBERS_1415)
    source.put(source.numbers_db("+4420"), NUMBERS_4420)
    return source


def dump_folder(root: Path) -> Path:
    """The same deployment as an offline dump: a folder per database, Kazoo's encoded names."""
    for db, docs in (("accounts", ACCOUNTS), ("numbers%2F%2B1415", NUMBERS_1415), ("numbers%2F%2B4420", NUMBERS_4420)):
        (root / db).mkdir(parents=True)
        for doc in docs:
            (root / db / f"{quote(str(doc['_id']), safe='')}.json").write_text(json.dumps(doc))
    return root


def gregorian(unix: float) -> int:
    return int(unix) + GREGORIAN_OFFSET
