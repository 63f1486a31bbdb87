"""Store URLs: which are understood, and how they appear in messages (never with their password)."""

from __future__ import annotations

import pytest

from numplane.store import store_from_url
from numplane.store.base import UnsupportedStoreUrl, masked


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://admin:s3cret@couch:5984", "http://admin:***@couch:5984"),
        ("https://a:p@ss:w@host/x", "https://a:***@host/x"),
        ("http://couch:5984", "http://couch:5984"),
        ("sqlite:///./numplane.db", "sqlite:///./numplane.db"),
        ("garbage", "garbage"),
        # Malformed: urllib cannot read them, or reads the password as a path; it is hidden all the same.
        ("http://admin:s3cret@[::1", "http://admin:***@[::1"),
        ("admin:s3cret@couch:5984", "admin:***@couch:5984"),
        ("http://admin:s3cret@[fe80::1%eth0/db", "http://admin:***@[fe80::1%eth0/db"),
        ("http://u:pa/ss@couch:5984", "http://u:***@couch:5984"),
    ],
)
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert masked(url) == shown


@pytest.mark.parametrize(
    "url",
    ["garbage", "postgres://u:s3cret@db/x", "http://u:s3cret@", "ftp://host", "http://u:s3cret@[::1",
     "http://u:s3cret@host:port", "u:s3cret@host:5984"],
)
def test_an_unusable_store_url_is_refused_without_showing_its_password(url: str) -> None:
    with pytest.raises(UnsupportedStoreUrl) as refused:
        store_from_url(url)
    assert "s3cret" not in str(refused.value)
