"""Rate limiting per API token: a 429 problem with Retry-After when a token asks too much."""

from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_limiter import Limiter

from ledger.config import Settings


def _token_key() -> str:
    """Return the limiter key: a hash of the bearer token (never the token), else the client address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return "t:" + hashlib.sha256(header[7:].strip().encode("utf-8")).hexdigest()[:32]
    return "a:" + (request.remote_addr or "unknown")


def register(app: Flask, settings: Settings) -> None:
    """Limit /v1 requests per token; health, metrics and docs are never limited."""
    Limiter(
        _token_key, app=app, default_limits=[settings.rate_limit] if settings.rate_limit else [],
        default_limits_exempt_when=lambda: not request.path.startswith("/v1/"),
        storage_uri=settings.rate_limit_storage, headers_enabled=True, strategy="moving-window",
    )
