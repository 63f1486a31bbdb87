"""Where a webhook may point (SSRF): an https URL whose every address is public.

A customer's endpoint is called from inside the platform's network, so an address that reaches the
platform itself (loopback), its private networks, link-local neighbours or a cloud metadata service would
let a tenant probe what it must never see. The rule is checked at creation and again at each delivery,
with a fresh resolution, since DNS can change between the two. `allow_private` lifts both the scheme and
the address rules (tests, and deployments whose receivers live on an internal network).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.text import excerpt

MAX_URL = 2048

# Addresses that answer cloud metadata requests: inside link-local on most clouds, but named so the rule
# still holds if an operator routes them elsewhere (Alibaba's sits in shared address space).
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
# Shared address space (carrier-grade NAT) is not "private" to ipaddress but is not the public internet.
SHARED = ipaddress.ip_network("100.64.0.0/10")


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL's host, once the URL is one numplane may call; INVALID_FIELD naming `url` otherwise."""
    if len(url) > MAX_URL:
        raise _invalid(f"The URL is longer than {MAX_URL} characters.")
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise _invalid(f"Webhook URLs must use https, not {excerpt(parts.scheme or '(none)')!r}.")
    if not parts.hostname:
        raise _invalid("The URL names no host.")
    if parts.username or parts.password:
        raise _invalid("Put no credentials in the URL; verify the signature instead.")
    try:
        parts.port  # noqa: B018 (reading it validates it)
    except ValueError:
        raise _invalid("The URL's port is not a number between 0 and 65535.") from None
    host = parts.hostname
    address = literal(host)
    if address is not None and not allow_private:
        ensure_public([address], host)
    return host


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why numplane will not call this address, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped)
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "not a unicast internet address"
    if address.is_private or (isinstance(address, ipaddress.IPv4Address) and address in SHARED):
        return "a private address"
    return None


def ensure_public(addresses: Iterable[ipaddress.IPv4Address | ipaddress.IPv6Address], host: str) -> None:
    """Every address the host resolves to must be public: one private answer among public ones would let a
    rebinding resolver choose which is used."""
    found = list(addresses)
    if not found:
        raise _invalid(f"The host {excerpt(host)!r} does not resolve to any address.")
    for address in found:
        reason = refusal(address)
        if reason is not None:
            raise _invalid(f"The host {excerpt(host)!r} resolves to {address}, {reason}: numplane will not call it.")


def parse_addresses(texts: Iterable[str]) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    # getaddrinfo may answer scoped IPv6 addresses ("fe80::1%eth0"): the scope does not change the range.
    return [ipaddress.ip_address(t.split("%", 1)[0]) for t in texts]


def literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_FIELD, message, field=("url",))
