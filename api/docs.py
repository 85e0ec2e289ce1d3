"""Swagger UI assets served from the installed package, so the docs work with no network."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Flask, Response, send_from_directory

ASSETS = Path(flask_swagger_ui.__file__).parent / "dist"


def register(app: Flask) -> None:
    """Serve the Swagger UI files under /docs/static/."""

    @app.get("/docs/static/<path:name>")
    def swagger_asset(name: str) -> Response:
        return send_from_directory(ASSETS, name, max_age=86400)
