"""Realistic signed write traffic for the write benchmarks: parties, lots, custody and transformations.

Every submission here is one that the ledger's rules accept: lots are HMS 1&2
(or other ISRI grade) consignments of about 24 t, dispatched by truck between
parties that hold them, received on a weighbridge, and blended or melted by
the party that holds the inputs. Keys come from fixed seeds, so the same plan
always signs the same bytes. Lot and transfer ids follow from entry indexes
(`lot-<index>`, `tr-<index>`), so a plan can name what earlier entries make.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.entries import SignedSubmission, format_time, sign_submission
from ledger.genesis import initialise
from ledger.log import AppendResult, Log
from ledger.signing import Signer
from ledger.store import Store

from ledger.masses import format_kg

from .ledgers import ORIGIN
from .ledgers import lot_body as lot_body  # re-exported: the workloads register these lots
from .ledgers import lot_grams as lot_grams

COUNTRIES = ("NL", "BE", "DE", "FR", "PL")
BATCH = 1000  # the API's batch limit


@dataclass(frozen=True, slots=True)
class Party:
    """A trading party of a benchmark ledger: its id, its signing key and its API token."""

    party_id: str
    signer: Signer
    token: str


@dataclass(frozen=True, slots=True)
class Ledger:
    """An initialised ledger with the operator and the registered trading parties."""

    log: Log
    operator: Party
    parties: list[Party]


def signer(name: str) -> Signer:
    """Return the signer whose seed is `name` (so keys repeat from run to run)."""
    return Signer.from_seed(name.encode().ljust(32, b".")[:32])


def initialised(home: Path, origin: str, now: datetime, parties: Sequence[tuple[str, tuple[str, ...]]],
                *, database_url: str | None = None, synchronous: str = "FULL") -> Ledger:
    """Return a new ledger under `home` with `parties` (id, roles) registered by the operator."""
    env = {"SCRAPLEDGER_HOME": str(home), "SCRAPLEDGER_ORIGIN": origin, "SCRAPLEDGER_SQLITE_SYNCHRONOUS": synchronous}
    if database_url:
        env["DATABASE_URL"] = database_url
    settings = Settings.from_env(env)
    home.mkdir(parents=True, exist_ok=True)
    signer("operator").save(settings.home / "operator-key.pem")
    done = initialise(settings, operator_id="operator", legal_name="Ledger Operations B.V.",
                      registration_number="NL-KVK-90000001", country="NL", now=now)
    assert done.operator_token is not None
    log = Log(Store(settings.database_url, sqlite_synchronous=synchronous), Signer.load(settings.log_key_file), origin)
    operator = Party("operator", signer("operator"), done.operator_token)
    batch = []
    for number, (party_id, roles) in enumerate(parties):
        body = {"party_id": party_id, "legal_name": f"{party_id.replace('-', ' ').title()} B.V.",
                "registration_number": f"NL-KVK-{24380000 + number}", "country": COUNTRIES[number % len(COUNTRIES)],
                "roles": list(roles), "public_keys": [signer(party_id).public_key.hex()]}
        batch.append(sign(operator, "party.register", body, f"register-{party_id}", now))
    results = append_all(log, operator.party_id, batch, now)
    registered = [Party(party_id, signer(party_id), str(result.token))
                  for (party_id, _roles), result in zip(parties, results, strict=True)]
    return Ledger(log, operator, registered)


def append_all(log: Log, actor: str, submissions: Sequence[SignedSubmission], now: datetime) -> list[AppendResult]:
    """Append `submissions` through `Log.append_many`, at most a batch's worth per transaction."""
    results: list[AppendResult] = []
    for start in range(0, len(submissions), BATCH):
        results += log.append_many(submissions[start:start + BATCH], actor=actor, now=now)
    return results


def sign(party: Party, entry_type: str, body: dict[str, Any], submission_id: str, moment: datetime,
         origin: str | None = None) -> SignedSubmission:
    """Return `body` as a submission of `party`, signed with its key."""
    submission = {"log": origin or ORIGIN, "party": party.party_id, "key_id": party.signer.key_id,
                  "submission_id": submission_id, "timestamp": format_time(moment), "type": entry_type,
                  "body": body}
    return sign_submission(submission, party.signer)


def dispatch_body(lot_id: str, to_party: str, grams: int, number: int) -> dict[str, Any]:
    """Return a dispatch of a held lot by truck, declared at its current mass."""
    return {"lot_id": lot_id, "to_party": to_party, "declared_mass_kg": format_kg(grams),
            "transport_reference": f"CMR 2026-{number:06d} / truck NL-{number % 100:02d}-BXT"}


def receipt_body(transfer_id: str, grams: int) -> dict[str, Any]:
    """Return a conformant receipt weighed 20 kg under the declared mass (within tolerance)."""
    return {"transfer_id": transfer_id, "weighed_mass_kg": format_kg(grams - 20_000),
            "inspection": {"conformant": True, "radiation_check_passed": True, "notes": "clean, dry"}}


def transform_body(kind: str, inputs: Sequence[str], input_grams: int, outputs: int = 1) -> dict[str, Any]:
    """Return a transformation of `inputs` into `outputs` ferrous lots, losing 1.5% of the mass."""
    losses = input_grams * 15 // 1000
    made = input_grams - losses
    shares = [made // outputs] * outputs
    shares[0] += made - sum(shares)
    return {"kind": kind, "inputs": list(inputs), "losses_kg": format_kg(losses),
            "outputs": [{"material_family": "ferrous", "grade": {"scheme": "ISRI", "code": "HMS 1&2"},
                         "net_mass_kg": format_kg(grams)} for grams in shares]}


