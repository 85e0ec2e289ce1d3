"""Fixtures for the store's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.store import Store


@pytest.fixture
def store(settings: Any, genesis: Any) -> Iterator[Store]:
    """The store of a ledger that has its genesis entries, opened on its own."""
    opened = Store(settings.database_url)
    yield opened
    opened.dispose()
