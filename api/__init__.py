"""The HTTP face of scrapledger: `api:create_app()` is what gunicorn serves.

Views translate HTTP to one domain call and domain errors to problem+json;
they never compute a hash, a proof or a balance.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ledger.config import Settings

from . import docs, limits, observability, pages, problems
from .auth import authenticate
from .openapi import LedgerApi
from .services import init_app


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Return the app configured from the environment, or from `test_config` (env-style names)."""
    app = Flask(__name__)
    settings = Settings.from_env(test_config)
    app.config.from_mapping(
        API_TITLE="scrapledger",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/static/",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
    )
    init_app(app, settings)
    problems.register(app)
    observability.register(app)
    limits.register(app, settings)
    api = LedgerApi(app)
    docs.register(app)

    from .blueprints import audit, batches, claims, declarations, health, log, lots, parties

    app.register_blueprint(health.bp)
    app.before_request(authenticate)
    for blueprint in (parties.bp, lots.bp, batches.bp, declarations.bp, claims.bp, audit.bp, log.bp):
        api.register_blueprint(blueprint)
    pages.register(app)
    return app
