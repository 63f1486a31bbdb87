"""The floor under GET /hunt: uvicorn itself answering an authenticated GET with a fixed 60-byte JSON body.

The same server `numplane serve` runs (uvloop, httptools, no access log, uvicorn's default Date and Server
headers), and a plain ASGI callable that compares the Authorization header with the one key it was given and
answers with the two headers numplane's hunt answers with (content-length, content-type). No framework, no
logging, no metrics, no lookups: what is left is uvicorn's per-request work and the kernel's, which no change
to numplane can remove. What GET /hunt costs beyond this is numplane's own (benchmarks.hunt_floor).

`python -m benchmarks.floor --port 8002 --key KEY` (the key a router would send as `Bearer KEY`).
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

BODY = b'{"number":"+14155550001","disposition":"ROUTE","account":{}}'
UNAUTHENTICATED = b'{"error":{"code":"UNAUTHENTICATED","message":"no valid key."}}'
assert len(BODY) == 60


def floor_app(key: str) -> ASGIApp:
    """An ASGI app answering BODY to a request bearing `key`, 401 to any other (HTTP only, no lifespan)."""
    expected = f"Bearer {key}".encode()
    answers = {
        True: (200, [(b"content-length", str(len(BODY)).encode()), (b"content-type", b"application/json")], BODY),
        False: (401, [(b"content-length", str(len(UNAUTHENTICATED)).encode()), (b"content-type", b"application/json")],
                UNAUTHENTICATED),
    }

    async def app(scope: Scope, _receive: Receive, send: Send) -> None:
        authorization = next((value for name, value in scope["headers"] if name == b"authorization"), None)
        status, headers, body = answers[authorization == expected]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    uvicorn.run(floor_app(args.key), host="127.0.0.1", port=args.port, loop="uvloop", http="httptools",
                access_log=False, lifespan="off", log_level="warning")


if __name__ == "__main__":
    main()
