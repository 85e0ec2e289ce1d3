"""Fixtures of the HTTP tests that need a realistic ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api.demo import Loaded, load_demo
from ledger.signing import Signer


@pytest.fixture
def demo(app: Any, genesis: Any, settings: Any) -> Loaded:
    """The demo chain (six parties, sixteen lots, custody, a split, a blend, a melt) in the app's ledger."""
    loaded = load_demo(app.extensions["scrapledger"].log, Signer.load(genesis.operator_key_file),
                       settings.home / "keys", datetime.now(UTC))
    assert loaded is not None
    return loaded


def token_of(demo: Loaded, party_id: str) -> dict[str, str]:
    """Return the Authorization header of a demo party."""
    member = next(member for member in demo.members if member.party_id == party_id)
    return {"Authorization": f"Bearer {member.token}"}
