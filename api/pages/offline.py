"""The offline report verifier: one static page that checks a saved report in the browser alone."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

bp = Blueprint("offline", __name__)


@bp.get("/verify-report")
def verify_report() -> Response:
    """Serve the standalone verifier page; it makes no request once loaded, and works saved to disk too."""
    return current_app.send_static_file("verify-report.html")
