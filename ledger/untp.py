"""UN Transparency Protocol credentials, issued and signed by the log key.

A lot's history becomes a UNTP Digital Traceability Event credential (DTE 0.6:
a W3C Verifiable Credential 2.0 whose subjects are the EPCIS events of
`ledger.epcis`, each typed `[<event type>, "Event"]` with its event hash as
`id`). A declaration's verification report becomes a UNTP Digital Conformity
Credential whose attestation carries the whole signed report. Both carry an
`eddsa-jcs-2022` Data Integrity proof by the log key, issuer `did:key`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO, Any

from . import epcis
from .data_integrity import did_key, secure
from .entries import format_time
from .epcis import NAMESPACE
from .log import Log

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
DTE_CONTEXT = [VC_CONTEXT, "https://test.uncefact.org/vocabulary/untp/dte/0.6.0/", {"sl": NAMESPACE}]
DCC_CONTEXT = [VC_CONTEXT, "https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/", {"sl": NAMESPACE}]
EVENTS_PER_CREDENTIAL = 1000


class Issuer:
    """The log as a credential issuer: its did:key, its name and its signing function."""

    def __init__(self, origin: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> None:
        self.origin, self.public_key, self.sign = origin, public_key, sign
        self.did = did_key(public_key)

    @classmethod
    def of(cls, log: Log) -> Issuer:
        """Return the log as issuer: its current log key signs, and names it."""
        return cls(log.origin, log.verifier.public_key, log.sign_proof)

    def described(self) -> dict[str, Any]:
        return {"type": ["CredentialIssuer"], "id": self.did, "name": f"scrapledger log {self.origin}"}

    def issue(self, credential: dict[str, Any], now: str) -> dict[str, Any]:
        return secure(credential, self.sign, self.public_key, now)


def traceability_credential(issuer: Issuer, events: Iterable[dict[str, Any]], now: str) -> dict[str, Any]:
    """Return a signed DTE credential whose subjects are `events` (EPCIS events of `ledger.epcis`)."""
    subjects = [{"id": event["eventID"], **{key: value for key, value in event.items() if key != "eventID"},
                 "type": [event["type"], "Event"]} for event in events]
    return issuer.issue({"@context": DTE_CONTEXT, "type": ["DigitalTraceabilityEvent", "VerifiableCredential"],
                         "issuer": issuer.described(), "validFrom": now, "credentialSubject": subjects}, now)


def conformity_credential(issuer: Issuer, report: dict[str, Any], now: str) -> dict[str, Any]:
    """Return a signed DCC credential attesting a declaration's verification report (carried whole)."""
    declaration = report["declaration"]
    attestation = {
        "type": ["ConformityAttestation"],
        "id": f"https://{issuer.origin}/declarations/{report['declaration_id']}/verification",
        "name": f"Verification of declaration {report['declaration_id']} on lot {declaration['lot_id']}",
        "assessmentDate": report["verified_at"],
        "sl:verdict": report["verdict"],
        "sl:verificationReport": report,
    }
    return issuer.issue({"@context": DCC_CONTEXT, "type": ["DigitalConformityCredential", "VerifiableCredential"],
                         "issuer": issuer.described(), "validFrom": report["verified_at"],
                         "credentialSubject": attestation}, now)


def export_credentials(log: Log, out: IO[str], now: datetime) -> int:
    """Write the whole history as DTE credentials, one JSON line per thousand events; return how many events.

    A proof signs a whole document, so the export is cut into credentials to
    stream: memory stays flat however long the log is.
    """
    issuer, issued, count = Issuer.of(log), format_time(now), 0
    with log.store.read() as tx:
        events = epcis.ledger_events(tx, log.origin)
        while chunk := list(itertools.islice(events, EVENTS_PER_CREDENTIAL)):
            out.write(json.dumps(traceability_credential(issuer, chunk, issued), ensure_ascii=False) + "\n")
            count += len(chunk)
    return count
