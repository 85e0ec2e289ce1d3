"""Rate limiting per API token: a 429 problem with Retry-After when a token asks too much."""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from ledger.config import Settings

from .problems import from_http_exception


def _token_key() -> str:
    """Return the limiter key: a hash of the bearer token (never the token), else the client address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return "t:" + hashlib.sha256(header[7:].strip().encode("utf-8")).hexdigest()[:32]
    return "a:" + (request.remote_addr or "unknown")


def register(app: Flask, settings: Settings) -> None:
    """Limit /v1 requests per token; health, metrics and docs are never limited.

    Only a 429 says when to come back: X-RateLimit-* headers on every answer
    would cost a read of the window per request, for clients that do not ask.
    The sliding-window counter keeps two counters per token, where the moving
    window keeps a timestamp per request and costs more the higher the limit.
    """
    limiter = Limiter(
        _token_key, app=app, default_limits=[settings.rate_limit] if settings.rate_limit else [],
        default_limits_exempt_when=lambda: not request.path.startswith("/v1/"),
        storage_uri=settings.rate_limit_storage, headers_enabled=False, strategy="sliding-window-counter",
    )

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Response:
        response = from_http_exception(error)
        exceeded = limiter.current_limit
        seconds = 1
        if exceeded is not None:  # when the window lets the next request through, never beyond its length
            seconds = min(math.ceil(exceeded.window[0] - time.time()), exceeded.limit.get_expiry())
        response.headers["Retry-After"] = str(max(1, seconds))
        return response
