"""Rate limiting per API token: a 429 problem with Retry-After when a token asks too much."""

from __future__ import annotations

import hashlib

from flask import Flask, Response, request
from flask_limiter import HeaderNames, Limiter

from ledger.config import Settings

# flask-limiter sets Retry-After on every limited response, 200s included, and
# raises a 503's own Retry-After to the end of the rate-limit window. It writes
# that value here instead, and `_retry_after_only_on_429` moves it onto 429s.
LIMITER_RETRY_AFTER = "X-RateLimit-Retry-After"


def _token_key() -> str:
    """Return the limiter key: a hash of the bearer token (never the token), else the client address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return "t:" + hashlib.sha256(header[7:].strip().encode("utf-8")).hexdigest()[:32]
    return "a:" + (request.remote_addr or "unknown")


def _retry_after_only_on_429(response: Response) -> Response:
    """Return `response` with the limiter's Retry-After on a 429 only; other statuses keep their own."""
    seconds = response.headers.pop(LIMITER_RETRY_AFTER, None)
    if response.status_code == 429 and seconds is not None:
        response.headers["Retry-After"] = seconds
    return response


def register(app: Flask, settings: Settings) -> None:
    """Limit /v1 requests per token; health, metrics and docs are never limited."""
    # Registered before the limiter because Flask runs after_request hooks in reverse order.
    app.after_request(_retry_after_only_on_429)
    Limiter(
        _token_key, app=app, default_limits=[settings.rate_limit] if settings.rate_limit else [],
        default_limits_exempt_when=lambda: not request.path.startswith("/v1/"),
        storage_uri=settings.rate_limit_storage, headers_enabled=True, strategy="moving-window",
        header_name_mapping={HeaderNames.RETRY_AFTER: LIMITER_RETRY_AFTER},
    )
