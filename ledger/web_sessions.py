"""Signing a browser in with an API token: a session cookie names the party, a token never travels again.

The cookie value is 32 random bytes; the database keeps only its SHA-256, so a
copy of the database signs nobody in. The CSRF token of a session is derived
from the cookie (which page scripts cannot read), so it needs no storage.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from .entries import format_time
from .errors import NotAuthenticated
from .parties import token_hash
from .store import Store

LIFETIME = timedelta(hours=8)  # one working shift


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def sign_in(store: Store, token: str, now: datetime) -> tuple[str, str]:
    """Return a new session cookie value and its party, or raise NotAuthenticated for a bad token."""
    cookie = secrets.token_urlsafe(32)
    with store.write() as tx:
        party = tx.token_party(token_hash(token.strip()))
        if party is None:
            raise NotAuthenticated("the token is not valid", field="token", rule="api-token")
        tx.open_web_session(_hash(cookie), party, format_time(now), format_time(now + LIFETIME))
    return cookie, party


def session_party(store: Store, cookie: str, now: datetime) -> str | None:
    """Return the party an unexpired session cookie signs in, or None."""
    with store.read() as tx:
        return tx.web_session(_hash(cookie), format_time(now))


def sign_out(store: Store, cookie: str, now: datetime) -> None:
    """End the session (and sweep expired ones); a second sign-out is harmless."""
    with store.write() as tx:
        tx.close_web_session(_hash(cookie), format_time(now))


def csrf_token(cookie: str) -> str:
    """Return the CSRF token every form and script of this session must send back."""
    return hmac.new(cookie.encode(), b"scrapledger csrf v1", hashlib.sha256).hexdigest()


def csrf_matches(cookie: str, sent: str) -> bool:
    return hmac.compare_digest(csrf_token(cookie), sent)
