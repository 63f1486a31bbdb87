"""Port documents over real HTTP (uvicorn on a socket, both stores): GraphQL multipart uploads, the
download route, the size and type limits, and who may read the bytes."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx

from numplane.domain.port_requests import MAX_DOCUMENT_BYTES
from tests.support.api import Api
from tests.support.served import served

UPLOAD = """mutation($i: UploadPortDocumentInput!) { uploadPortDocument(input: $i) {
  portRequest { revision documents { kind filename contentType size downloadUrl } }
  userErrors { code message field } } }"""
CREATE = "mutation { createPortRequest(input: {numbers: [\"+14155550181\"]}) { portRequest { requestId } } }"


def auth(api: Api, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.keys[key]}"}


async def upload(api: Api, request_id: str, content: bytes, *, kind: str = "LETTER_OF_AUTHORIZATION",
                 filename: str = "loa.pdf", key: str = "child") -> httpx.Response:
    operations = {"query": UPLOAD, "variables": {"i": {"id": request_id, "kind": kind, "file": None}}}
    return await api.client.post(
        "/graphql", headers=auth(api, key),
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": (filename, content, "application/octet-stream")},  # the claimed type is never trusted
    )


def payload(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text[:300]
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return dict(body["data"]["uploadPortDocument"])


async def new_request(api: Api) -> str:
    data = await api.data(CREATE, key="child")
    return str(data["createPortRequest"]["portRequest"]["requestId"])


async def test_documents_round_trip_byte_for_byte_and_only_readers_of_the_request_get_them(
    store_url: tuple[str, str],
) -> None:
    async with served(store_url) as api:
        rid = await new_request(api)
        pdf = b"%PDF-1.7\n" + os.urandom(MAX_DOCUMENT_BYTES - 9)  # exactly the limit
        jpeg = b"\xff\xd8\xff\xe0" + os.urandom(5000)
        assert payload(await upload(api, rid, pdf))["userErrors"] == []
        result = payload(await upload(api, rid, jpeg, kind="BILL", filename="bill.jpg", key="reseller"))
        assert result["userErrors"] == []
        documents = {d["kind"]: d for d in result["portRequest"]["documents"]}
        assert {k: (d["contentType"], d["size"]) for k, d in documents.items()} == {
            "LETTER_OF_AUTHORIZATION": ("application/pdf", len(pdf)), "BILL": ("image/jpeg", len(jpeg))}
        for kind, content in (("LETTER_OF_AUTHORIZATION", pdf), ("BILL", jpeg)):
            for key in ("child", "reseller", "admin"):
                got = await api.client.get(documents[kind]["downloadUrl"], headers=auth(api, key))
                assert got.status_code == 200 and got.content == content
                assert got.headers["content-type"] == documents[kind]["contentType"]
        url = documents["BILL"]["downloadUrl"]
        assert (await api.client.get(url, headers=auth(api, "unrelated"))).status_code == 404
        assert (await api.client.get(url)).status_code == 401


async def test_a_document_over_ten_mib_or_of_another_type_is_refused_cleanly(store_url: tuple[str, str]) -> None:
    async with served(store_url) as api:
        rid = await new_request(api)
        too_big = payload(await upload(api, rid, b"%PDF-1.7\n" + bytes(MAX_DOCUMENT_BYTES - 8)))
        assert [(e["code"], e["field"]) for e in too_big["userErrors"]] == [("LIMIT_EXCEEDED", ["file"])]
        text = payload(await upload(api, rid, b"GIF89a not a pdf at all", filename="loa.pdf"))
        assert [(e["code"], e["field"]) for e in text["userErrors"]] == [("INVALID_FIELD", ["file"])]
        # A body far past the upload limit is cut off before it is read whole.
        huge = await upload(api, rid, b"%PDF-" + bytes(api.services.settings.max_upload_body_bytes))
        assert huge.status_code == 413
        read = "query($id: String!) { portRequest(id: $id) { documents { kind } } }"
        assert (await api.data(read, {"id": rid}, key="child"))["portRequest"]["documents"] == []


async def test_json_requests_keep_their_own_small_body_limit(store_url: tuple[str, str]) -> None:
    async with served(store_url) as api:
        padding = "x" * (api.services.settings.max_body_bytes + 1)
        response = await api.client.post(
            "/graphql", headers=auth(api, "child"),
            json={"query": "{ me { accountId } }", "variables": {"pad": padding}},
        )
        assert response.status_code == 413
