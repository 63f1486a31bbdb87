"""An attempt goes to the address that was checked, with the host name kept for Host and TLS."""

from __future__ import annotations

import pytest

from numplane.domain.errors import DomainError
from numplane.jobs.webhook_http import pinned


async def resolve_public(host: str) -> list[str]:
    return {"hooks.example.com": ["93.184.216.34"], "v6.example.com": ["2606:2800:220:1::5"]}.get(host, [])


async def test_the_request_goes_to_the_checked_address_with_the_host_kept_for_host_and_sni() -> None:
    headers: dict[str, str] = {}
    given = "https://hooks.example.com:8443/in?x=1"
    url, extensions = await pinned(given, headers, resolve_public, allow_private=False)
    assert url == "https://93.184.216.34:8443/in?x=1"
    assert headers["host"] == "hooks.example.com:8443"
    assert extensions == {"sni_hostname": "hooks.example.com"}


async def test_an_ipv6_address_is_bracketed() -> None:
    url, _extensions = await pinned("https://v6.example.com/in", {}, resolve_public, allow_private=False)
    assert url == "https://[2606:2800:220:1::5]/in"


async def test_a_host_that_now_resolves_inside_is_refused_before_any_connection() -> None:
    async def rebound(host: str) -> list[str]:
        return ["169.254.169.254"]

    with pytest.raises(DomainError, match="cloud metadata"):
        await pinned("https://hooks.example.com/in", {}, rebound, allow_private=False)


async def test_allowing_private_addresses_calls_the_url_as_given() -> None:
    headers: dict[str, str] = {}
    assert await pinned("http://127.0.0.1:9000/in", headers, resolve_public, allow_private=True) == (
        "http://127.0.0.1:9000/in", {},
    )
    assert headers == {}
