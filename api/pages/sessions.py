"""Signing in and out, the session cookie, and CSRF protection for every page form and script."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from ledger import parties, web_sessions
from ledger.errors import NotAuthenticated

from ..services import now, services

bp = Blueprint("sessions", __name__)
COOKIE = "sl_session"
SIGN_IN_COOKIE = "sl_sign_in"  # double-submit token of the sign-in form (there is no session yet)
NOT_PAGES = ("/v1/", "/static/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics")
View = TypeVar("View", bound=Callable[..., Any])


def load_session(_: Any = None) -> None:
    """Set `g.party` and `g.session_cookie` for a page request with a live session; check CSRF on POST."""
    if request.path.startswith(NOT_PAGES):
        return
    cookie = request.cookies.get(COOKIE)
    party = web_sessions.session_party(services().store, cookie, now()) if cookie else None
    if party is not None:
        g.party, g.session_cookie = party, cookie
    if request.method == "POST" and request.endpoint != "sessions.sign_in":
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
        if party is None or not web_sessions.csrf_matches(cookie or "", sent):
            abort(403, "the form's CSRF token is missing or stale: reload the page and try again")


def page_context() -> dict[str, Any]:
    """Return what every template may use: the signed-in party, its CSRF token and the log's origin."""
    party = g.get("party") if not request.path.startswith("/v1/") else None
    if party is None:
        return {"party": None}
    view = services().read(lambda tx: parties.describe(tx, party))
    active = [key.key_id for key in view.keys if key.ended_at is None]
    return {"party": view, "active_key_ids": active, "csrf_token": web_sessions.csrf_token(g.session_cookie),
            "origin": services().settings.origin}


def signed_in(view: View) -> View:
    """Send a browser without a session to the sign-in page, remembering where it was going."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if g.get("party") is None:
            return redirect(url_for("sessions.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _local(target: str | None) -> str:
    """Return `target` if it is a path on this site, else the home page (no open redirects)."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("lot_pages.home")
    return target


def _set_cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """Ask for the party's API token once; answer with a session cookie and no token anywhere after."""
    error = None
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        expected = request.cookies.get(SIGN_IN_COOKIE, "")
        if not expected or not secrets.compare_digest(sent, expected):
            abort(403, "the sign-in form's CSRF token is missing or stale: reload the page and try again")
        try:
            cookie, _ = web_sessions.sign_in(services().store, request.form.get("token", ""), now())
        except NotAuthenticated:
            error = "That token is not valid. Paste the API token the operator issued for your party."
        else:
            response = redirect(_local(request.form.get("next")))
            _set_cookie(response, COOKIE, cookie, int(web_sessions.LIFETIME.total_seconds()))
            response.delete_cookie(SIGN_IN_COOKIE, path="/")
            return response
    token = secrets.token_urlsafe(32)
    response = Response(render_template("sign_in.html", sign_in_token=token, error=error,
                                        next=request.values.get("next", "")), status=401 if error else 200)
    _set_cookie(response, SIGN_IN_COOKIE, token, 3600)
    return response


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    """End the session on the server and clear the cookie."""
    if g.get("session_cookie"):
        web_sessions.sign_out(services().store, g.session_cookie, now())
    response = redirect(url_for("sessions.sign_in"))
    response.delete_cookie(COOKIE, path="/")
    return response
