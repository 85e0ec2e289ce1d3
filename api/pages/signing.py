"""The two calls a page's script makes: check a body by the ledger's rules, then submit it signed.

Both answer JSON (problem+json on error, like the API); both need the session
and its CSRF token in `X-CSRF-Token`, which `sessions.load_session` checks.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, request

from ledger.entry_types import lookup
from ledger.errors import InvalidInput
from ledger.signing import SIGNATURE_SIZE
from ledger.validation import lowercase_hex
from schemas.submissions import AppendResultSchema

from ..writes import append

bp = Blueprint("signing", __name__, url_prefix="/pages")


def _json_object() -> dict[str, Any]:
    if g.get("party") is None:
        abort(401, "sign in first")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput("body", "must be a JSON object")
    return payload


@bp.post("/check")
def check() -> Any:
    """Answer 204 if `body` passes its entry type's own checks, else the problem they raise."""
    payload = _json_object()
    if not isinstance(payload.get("body"), dict):
        raise InvalidInput("body", "must be a JSON object")
    lookup(str(payload.get("type"))).check(payload["body"])
    return "", 204


@bp.post("/submit")
def submit() -> Any:
    """Append the envelope the page signed, as the signed-in party: the API's append, no other."""
    payload = _json_object()
    if not isinstance(payload.get("submission"), dict):
        raise InvalidInput("submission", "must be a JSON object")
    signature = lowercase_hex(payload.get("signature"), SIGNATURE_SIZE, "signature")
    return AppendResultSchema().dump(append({"submission": payload["submission"], "signature": signature})), 201
