"""Errors on a page are pages: a lot a party may not see is a 404 page, a stale form a 403 page.

The page scripts' JSON calls (`/pages/…`) and the API keep problem+json.
"""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from ledger.errors import LedgerError

from .. import problems
from .sessions import NOT_PAGES


def _is_page() -> bool:
    return not request.path.startswith((*NOT_PAGES, "/pages/"))


def _page(status: int, title: str, detail: str) -> tuple[str, int]:
    return render_template("error.html", title=title, detail=detail), status


def from_ledger_error(error: LedgerError) -> Response | tuple[str, int]:
    if not _is_page():
        return problems.from_ledger_error(error)
    status = problems.status_of(error)
    if status >= 500:
        return problems.from_ledger_error(error) if status == 503 else _page(status, "Server error", error.detail)
    return _page(status, "Not found" if status == 404 else error.title.capitalize(), error.detail)


def from_http_exception(error: HTTPException) -> Response | tuple[str, int]:
    if not _is_page():
        return problems.from_http_exception(error)
    return _page(error.code or 500, error.name, error.description or error.name)


def register(app: Flask) -> None:
    """Put the page-aware handlers in front of problems.py's (registered again, they replace them)."""
    app.register_error_handler(LedgerError, from_ledger_error)
    app.register_error_handler(HTTPException, from_http_exception)
