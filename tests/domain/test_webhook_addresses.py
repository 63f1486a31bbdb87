"""Where a webhook may point: https only, and never an address inside the platform (SSRF)."""

from __future__ import annotations

import pytest

from numplane.domain.errors import DomainError, ErrorCode
from numplane.domain.webhook_addresses import check_url, ensure_public, parse_addresses, refusal


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.2.3.4", "a private address"),
        ("172.16.0.9", "a private address"),
        ("192.168.0.1", "a private address"),
        ("fd12::1", "a private address"),
        ("100.64.1.1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("169.254.10.10", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("0.0.0.0", "not a unicast internet address"),
        ("224.0.0.1", "not a unicast internet address"),
    ],
)
def test_addresses_inside_the_platform_are_refused(address: str, reason: str) -> None:
    (parsed,) = parse_addresses([address])
    assert refusal(parsed) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    (parsed,) = parse_addresses([address])
    assert refusal(parsed) is None


def test_one_private_answer_among_public_ones_refuses_the_host() -> None:
    with pytest.raises(DomainError) as refused:
        ensure_public(parse_addresses(["93.184.216.34", "10.0.0.1"]), "mixed.example.com")
    assert refused.value.field == ("url",)
    assert "10.0.0.1, a private address" in refused.value.message


def test_a_host_without_addresses_is_refused() -> None:
    with pytest.raises(DomainError, match="does not resolve"):
        ensure_public([], "nowhere.example.com")


def test_scoped_ipv6_answers_are_judged_by_their_address() -> None:
    (parsed,) = parse_addresses(["fe80::1%eth0"])
    assert refusal(parsed) == "a link-local address"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("ftp://hooks.example.com/x", "must use https"),
        ("hooks.example.com/x", "must use https"),
        ("https:///x", "names no host"),
        ("https://user:pw@hooks.example.com/x", "no credentials"),
        ("https://hooks.example.com:99999/x", "port"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://[::1]:8443/x", "loopback"),
        ("https://hooks.example.com/" + "x" * 2048, "longer than"),
    ],
)
def test_urls_numplane_will_not_call_are_invalid(url: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_url(url, allow_private=False)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_FIELD, ("url",))
    assert message in refused.value.message


def test_an_https_url_gives_its_host_to_resolve() -> None:
    assert check_url("https://Hooks.Example.com:8443/numbers?x=1", allow_private=False) == "hooks.example.com"


def test_allowing_private_addresses_lifts_both_rules() -> None:
    assert check_url("http://127.0.0.1:9000/hooks", allow_private=True) == "127.0.0.1"
    with pytest.raises(DomainError, match="must use https"):
        check_url("ftp://127.0.0.1/", allow_private=True)
