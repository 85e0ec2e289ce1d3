"""A lot's history in the sector's standards as a response: the same bytes for the API and the pages."""

from __future__ import annotations

import json

from flask import Response, g

from ledger import epcis, untp
from ledger.entries import format_time

from .services import now, services

UNTP_MEDIA_TYPE = "application/vc+ld+json"


def lot_epcis(lot_id: str, *, download: bool = False) -> Response:
    """Return the EPCIS 2.0 document of a lot's history as the signed-in party may read it."""
    log = services().log
    events = services().read(lambda tx: epcis.lot_events(tx, g.party, lot_id, log.origin))
    body = json.dumps(epcis.document(events, format_time(now())), ensure_ascii=False)
    return _answer(body, epcis.MEDIA_TYPE, f"{lot_id}.epcis.jsonld" if download else None)


def lot_untp(lot_id: str, *, download: bool = False) -> Response:
    """Return a lot's history as a UNTP traceability credential signed by the log."""
    log = services().log
    events = services().read(lambda tx: epcis.lot_events(tx, g.party, lot_id, log.origin))
    credential = untp.traceability_credential(untp.Issuer.of(log), events, format_time(now()))
    return _answer(json.dumps(credential, ensure_ascii=False), UNTP_MEDIA_TYPE,
                   f"{lot_id}.untp-dte.json" if download else None)


def _answer(body: str, media_type: str, filename: str | None) -> Response:
    answer = Response(body, mimetype=media_type)
    if filename:
        answer.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer
