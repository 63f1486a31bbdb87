"""API fixtures over both stores (the `store_url` fixture of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.api import Api, running_api, services_for, settings_for


@pytest.fixture
async def api(store_url: tuple[str, str]) -> AsyncIterator[Api]:
    async with running_api(services_for(settings_for(store_url))) as running:
        yield running
