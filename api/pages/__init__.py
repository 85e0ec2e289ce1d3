"""The web pages: server-rendered Jinja for reading, entries signed in the browser for writing.

A browser signs in with its API token once and gets a session cookie; from then
on every page and script is the party, with the API's read rules (a lot it may
not see is a 404 page). Writes reach the log as signed submissions exactly as
from the CLI: `/pages/submit` takes the envelope the page's script signed.
"""

from __future__ import annotations

from flask import Flask

from . import (audit_pages, claim_pages, custody_pages, declaration_pages, errors, import_pages, lot_pages,
               report_checker, sessions, signing)


def register(app: Flask) -> None:
    """Install the session loader and every page blueprint."""
    errors.register(app)
    app.before_request(sessions.load_session)
    app.context_processor(sessions.page_context)
    for module in (sessions, signing, lot_pages, custody_pages, declaration_pages, claim_pages, report_checker,
                   audit_pages, import_pages):
        app.register_blueprint(module.bp)
