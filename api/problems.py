"""RFC 9457 problem+json for every error, mapped from the domain's errors in one table."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, json
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ledger import errors

PROBLEM_TYPE = "https://scrapledger.example/problems/"
CONTENT_TYPE = "application/problem+json"
log = logging.getLogger("scrapledger.api")

STATUS: dict[type[errors.LedgerError], int] = {
    errors.InvalidInput: 422,
    errors.NotAuthenticated: 401,
    errors.BadSignature: 401,
    errors.UnknownKey: 401,
    errors.NotAuthorised: 403,
    errors.PartyNotFound: 404,
    errors.EntryNotFound: 404,
    errors.LotNotFound: 404,
    errors.TransferNotFound: 404,
    errors.DeclarationNotFound: 404,
    errors.AccountNotFound: 404,
    errors.NotHolder: 403,
    errors.MassImbalance: 422,
    errors.SubmissionConflict: 409,
    errors.Conflict: 409,
    errors.StaleTimestamp: 422,
    errors.NotTried: 503,
    errors.ProofError: 422,
    errors.MalformedCheckpoint: 422,
    errors.ChainBroken: 500,
    errors.StoreUnavailable: 503,
}


def problem_body(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """Return the RFC 9457 members of a problem."""
    slug = title.lower().replace(" ", "-")
    return {"type": PROBLEM_TYPE + slug, "title": title, "status": status, "detail": detail, **extra}


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """Return a problem+json response."""
    response = Response(json.dumps(problem_body(status, title, detail, **extra)), status=status,
                        mimetype=CONTENT_TYPE)
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


def status_of(error: errors.LedgerError) -> int:
    """Return the HTTP status of a domain error (the nearest class in STATUS, else 400)."""
    return next((STATUS[kind] for kind in type(error).__mro__ if kind in STATUS), 400)


def from_ledger_error(error: errors.LedgerError) -> Response:
    """Return the problem for a domain error, with its structured fields."""
    status = status_of(error)
    if status >= 500 and status != 503:
        log.error("domain error %s: %s", type(error).__name__, error.detail)
    return problem(status, error.title, error.detail, **_fields_of(error))


def ledger_problem_body(error: errors.LedgerError) -> dict[str, Any]:
    """Return the problem members of a domain error, as one item of a batch answer carries them."""
    return problem_body(status_of(error), error.title, error.detail, **_fields_of(error))


def _fields_of(error: errors.LedgerError) -> dict[str, Any]:
    return {name: value for name, value in error.fields.items() if value is not None}


def from_http_exception(error: HTTPException) -> Response:
    """Return the problem for a werkzeug/flask-smorest HTTP error, with its validation messages."""
    status = error.code or 500
    if isinstance(error, RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return problem(413, "request too large", f"the body exceeds the limit of {limit} bytes",
                       field="body", rule=f"max-bytes:{limit}")
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    extra: dict[str, Any] = {}
    detail = error.description or error.name
    if messages:
        extra["errors"] = _flatten(messages)
        first = extra["errors"][0]
        extra["field"], extra["rule"] = first["field"], first["rule"]
        detail = f"{first['field']}: {first['rule']}"
    response = problem(status, error.name, detail, **extra)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def from_unexpected(error: Exception) -> Response:
    """Log an unexpected error with its traceback and return a bare 500 problem."""
    log.exception("unexpected error")
    return problem(500, "internal error", "the server failed; the error has been logged")


def register(app: Flask) -> None:
    """Install the handlers that turn every error into problem+json."""
    app.register_error_handler(errors.LedgerError, from_ledger_error)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, from_unexpected)


def _flatten(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Return webargs/marshmallow messages as [{field, rule}] with dotted field paths."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "path", "headers", "form", "files") and not prefix:
                found.extend(_flatten(value, ""))
            else:
                found.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        found.extend({"field": prefix or "body", "rule": item} for item in messages)
    elif isinstance(messages, list):
        for item in messages:
            found.extend(_flatten(item, prefix))
    else:
        found.append({"field": prefix or "body", "rule": str(messages)})
    return found
