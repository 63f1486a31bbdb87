"""One attempt of one delivery over HTTP: re-check the address, sign, POST, read a bounded answer.

The host is resolved again at every attempt and the request goes to the address that was checked (the
host name travels in `Host` and in TLS's SNI, so certificates are still verified against it): a DNS answer
that changes between the check and the connection cannot point the call at a private address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from standardwebhooks.webhooks import Webhook

from numplane.domain import webhook_addresses
from numplane.domain.errors import DomainError
from numplane.domain.webhook_deliveries import Attempt, Delivery
from numplane.domain.webhook_retries import Outcome, outcome_of
from numplane.domain.webhooks import Endpoint
from numplane.resolvers.context import Resolve, Services

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "numplane-webhooks/1"


@dataclass(frozen=True, slots=True)
class Result:
    attempt: Attempt
    outcome: Outcome


def signed_headers(endpoint: Endpoint, delivery: Delivery, body: str, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation's overlap both secrets sign (space-separated)."""
    signatures = [
        Webhook(secret).sign(delivery.event_id, now, body) for secret in endpoint.signing_secrets(now)
    ]
    return {
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def http_client(timeout_seconds: float) -> httpx.AsyncClient:
    # No redirects: a 3xx would otherwise lead the call to an address nobody checked.
    return httpx.AsyncClient(follow_redirects=False, timeout=timeout_seconds, trust_env=False)


async def attempt(
    services: Services, client: httpx.AsyncClient, endpoint: Endpoint, delivery: Delivery, now: datetime
) -> Result:
    body = orjson.dumps(delivery.body).decode()
    headers = signed_headers(endpoint, delivery, body, now)
    started = time.perf_counter()

    def elapsed_ms() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        url, extensions = await pinned(
            endpoint.url, headers, services.resolve, allow_private=services.settings.webhooks_allow_private
        )
    except DomainError as refused:
        return Result(Attempt(now, None, 0, refused.message), outcome_of(None, refused=True))
    try:
        async with client.stream("POST", url, content=body, headers=headers, extensions=extensions) as response:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break  # the rest of a large answer is not worth the memory: only the status counts
            status = response.status_code
    except httpx.HTTPError as error:
        message = f"{type(error).__name__}: {error}"[:300]
        return Result(Attempt(now, None, elapsed_ms(), message), outcome_of(None))
    return Result(Attempt(now, status, elapsed_ms()), outcome_of(status))


async def pinned(
    url: str, headers: dict[str, str], resolve: Resolve, *, allow_private: bool
) -> tuple[str, dict[str, str]]:
    """The URL to call (on the checked address) and its request extensions, `headers` given the host;
    raises INVALID_FIELD (`url`) when it may not be called."""
    host = webhook_addresses.check_url(url, allow_private=allow_private)
    if allow_private or webhook_addresses.literal(host) is not None:
        return url, {}
    try:
        found = webhook_addresses.parse_addresses(await resolve(host))
    except (OSError, ValueError):
        found = []
    webhook_addresses.ensure_public(found, host)
    parts = urlsplit(url)
    address = str(found[0])
    netloc = f"[{address}]" if ":" in address else address
    if parts.port is not None:
        netloc += f":{parts.port}"
    headers["host"] = parts.netloc
    return urlunsplit(parts._replace(netloc=netloc)), {"sni_hostname": host}
