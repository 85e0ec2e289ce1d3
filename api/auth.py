"""Bearer-token authentication for /v1: the token names the acting party."""

from __future__ import annotations

from flask import current_app, g, request

from ledger.errors import NotAuthenticated
from ledger.parties import token_hash


PUBLIC = frozenset({"/v1/checkpoint", "/v1/log-key", "/v1/consistency-proof"})  # hashes only, no business data


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
    with current_app.extensions["scrapledger"].store.read() as tx:
        party = tx.token_party(token_hash(token.strip()))
    if party is None:
        raise NotAuthenticated("the token is not valid", field="Authorization", rule="bearer-token")
    g.party = party
