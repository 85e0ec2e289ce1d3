"""Rate limiting per API token: a 429 problem with Retry-After when a token asks too much."""

from __future__ import annotations

import hashlib
import math
import time
from functools import cached_property
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from limits.storage import MemoryStorage

from ledger.config import Settings

from .problems import from_http_exception

if TYPE_CHECKING:
    from flask_limiter._limits import RuntimeLimit

SWEEP_SECONDS = 1.0  # how often the per-worker storage drops the counters of windows that have passed


class SweptMemoryStorage(MemoryStorage):
    """The limits library's in-memory storage, with expired counters dropped as it goes.

    `MemoryStorage` starts a timer thread that lives 10 ms after every hit:
    under steady load that is a new thread per request, and it competes for
    the interpreter with the request itself. Its counters are read through
    `get`, which already ignores an expired one, so the sweep only frees
    memory; here it runs inline, at most once every SWEEP_SECONDS.
    """

    STORAGE_SCHEME = ["swept-memory"]  # noqa: RUF012  (the type the limits registry declares)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions, **options)
        self.timer.cancel()
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the base class's private timer start
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


class TokenLimiter(Limiter):
    """flask-limiter, checking the one kind of limit this API sets without resolving all the others first.

    Before each request flask-limiter works out which of its limits apply
    (application, default, blueprint, decorated, meta; each with its
    exemptions): about 90 µs, a tenth of a signed append's CPU. This API sets
    only default limits, counted per token and route. They are hit here in
    the storage and with the strategy flask-limiter configured, under the
    keys it would use, and a breach raises its RateLimitExceeded with the
    limit recorded for Retry-After. A limit on a decorated view, which this
    API has none of, still takes flask-limiter's own path.
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if callable_name is not None or not in_middleware:
            super()._check_request_limit(callable_name, in_middleware)
            return
        endpoint = request.endpoint or ""
        for limit in self._default_limits:
            if limit.is_exempt or limit.method_exempt:
                continue
            args = [limit.key_func(), limit.scope_for(endpoint, request.method)]
            if self._key_prefix:
                args.insert(0, self._key_prefix)
            if not self.limiter.hit(limit.limit, *args, cost=limit.deduction_amount):
                self.context.view_rate_limit = RequestLimit(self, limit.limit, args, True, limit.shared)
                raise RateLimitExceeded(limit)

    @cached_property
    def _default_limits(self) -> list[RuntimeLimit]:
        """The default limits, resolved once: the manager's property parses the limit strings at every call."""
        return self.limit_manager.default_limits


def _storage_uri(configured: str) -> str:
    """Return the storage to use: the swept in-memory storage where the plain one is asked for."""
    return "swept-memory://" if configured == "memory://" else configured


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
    limiter = TokenLimiter(
        _token_key, app=app, default_limits=[settings.rate_limit] if settings.rate_limit else [],
        default_limits_exempt_when=lambda: not request.path.startswith("/v1/"),
        storage_uri=_storage_uri(settings.rate_limit_storage), headers_enabled=False,
        strategy="sliding-window-counter",
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
