"""Bearer-token authentication for /v1: the token names the acting party."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app, g, request

from ledger.errors import NotAuthenticated
from ledger.parties import token_hash


PUBLIC = frozenset({"/v1/checkpoint", "/v1/log-key", "/v1/consistency-proof"})  # hashes only, no business data
KNOWN_FOR_SECONDS = 60.0  # how long a worker trusts a token it has found without asking the database again
KNOWN_AT_MOST = 10_000


class KnownTokens:
    """Token hashes this worker has found in the database, and their party, for a minute.

    A token is issued once and never reassigned, so the answer cannot change;
    the minute bounds how long a worker would go on accepting a token that a
    restored backup no longer holds. Unknown tokens are never remembered.
    """

    def __init__(self) -> None:
        self._found: dict[str, tuple[str, float]] = {}

    def party(self, hashed: str, look_up: Callable[[str], str | None]) -> str | None:
        known = self._found.get(hashed)
        now = time.monotonic()
        if known is not None and now - known[1] < KNOWN_FOR_SECONDS:
            return known[0]
        party = look_up(hashed)
        if party is not None:
            if len(self._found) >= KNOWN_AT_MOST:
                self._found.clear()
            self._found[hashed] = (party, now)
        return party


def _look_up(hashed: str) -> str | None:
    with current_app.extensions["scrapledger"].store.read() as tx:
        return tx.token_party(hashed)


def authenticate() -> None:
    """Set `g.party` for requests under /v1/; raise NotAuthenticated without a valid token.

    Tokens are looked up by their SHA-256, so no stored secret is ever compared
    byte by byte with client input.
    """
    if not request.path.startswith("/v1/") or request.path in PUBLIC:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send Authorization: Bearer <token>", field="Authorization", rule="bearer-token")
    party = current_app.extensions["scrapledger"].tokens.party(token_hash(token.strip()), _look_up)
    if party is None:
        raise NotAuthenticated("the token is not valid", field="Authorization", rule="bearer-token")
    g.party = party
