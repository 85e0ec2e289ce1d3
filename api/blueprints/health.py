"""Liveness and readiness probes, without authentication."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, json

from ledger.errors import LedgerError

from ..services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 while the process serves requests."""
    return Response('{"status":"ok"}', mimetype="application/json")


@bp.get("/readyz")
def readyz() -> Response:
    """Answer 200 when the database answers and the log key is loaded, 503 otherwise.

    The key is checked against the ledger, so while the database is away a
    worker that has not loaded it yet cannot tell: it says `unknown`.
    """
    database = _outcome(services().store.ping, "unavailable")
    unknown = database != "ok" and not services().log_loaded
    checks = {"database": database, "log_key": "unknown" if unknown else _outcome(lambda: services().log, "missing")}
    ready = all(value == "ok" for value in checks.values())
    return Response(json.dumps({"status": "ready" if ready else "not ready", "checks": checks}),
                    status=200 if ready else 503, mimetype="application/json")


def _outcome(probe: Callable[[], object], failed: str) -> str:
    """Return "ok" if the probe succeeds, else `failed`."""
    try:
        probe()
    except LedgerError:
        return failed
    return "ok"
