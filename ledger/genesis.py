"""Initialising a ledger: schema, log key, identity in `meta`, and the operator's genesis entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import parties
from .config import Settings
from .entries import format_time, sign_submission
from . import log_keys
from .errors import Conflict, StoreUnavailable
from .log import Log
from .signing import Signer
from .store import Store


@dataclass(frozen=True, slots=True)
class Initialised:
    """What `initialise` did; the token is shown once and never stored."""

    created: bool
    operator_id: str
    operator_token: str | None
    operator_key_file: Path


def load_or_create_key(path: Path) -> Signer:
    """Return the signer stored at `path`, creating a new key file (mode 0600) if there is none."""
    if path.exists():
        return Signer.load(path)
    signer = Signer.generate()
    signer.save(path)
    return signer


def initialise(settings: Settings, *, operator_id: str, legal_name: str, registration_number: str,
               country: str, now: datetime) -> Initialised:
    """Migrate the schema and, on an empty ledger, append the operator's self-registration.

    Running it again is harmless: an initialised ledger is only checked to be
    the one this log key signs for.
    """
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    store.migrate()
    log_key = load_or_create_key(settings.log_key_file)
    log = Log(store, log_key, settings.origin, timestamp_window=settings.timestamp_window_seconds)
    operator_key_file = settings.home / "operator-key.pem"
    _bind_identity(store, settings, log_key)
    if log.size() > 0:
        return Initialised(False, operator_id, None, operator_key_file)
    operator = load_or_create_key(operator_key_file)
    body = {"party_id": operator_id, "legal_name": legal_name, "registration_number": registration_number,
            "country": country, "roles": ["operator"], "public_keys": [operator.public_key.hex()]}
    submission = {"log": settings.origin, "party": operator_id, "key_id": operator.key_id,
                  "submission_id": f"genesis-{operator_id}", "timestamp": format_time(now),
                  "type": parties.REGISTER, "body": body}
    result = log.append(sign_submission(submission, operator), actor=operator_id, now=now)
    log.checkpoint(now)
    store.dispose()
    return Initialised(True, operator_id, result.token, operator_key_file)


def _bind_identity(store: Store, settings: Settings, log_key: Signer) -> None:
    """Record the origin, log public key and mass tolerance once; refuse an origin or key that differs later."""
    wanted = {"origin": settings.origin, "log_public_key": log_key.public_key.hex(),
              "mass_tolerance": settings.mass_tolerance}
    with store.write() as tx:
        known = {name: tx.meta(name) for name in wanted}
        if known["origin"] is None:
            for name, value in wanted.items():
                tx.set_meta(name, value)
            return
    for name in ("origin", "log_public_key"):
        if known[name] != wanted[name]:
            raise Conflict(f"this database belongs to another log: its {name} is {known[name]}", field=name)


def open_log(settings: Settings, store: Store) -> Log:
    """Return the log of this deployment, refusing a missing key or one that is not the ledger's current key."""
    if not settings.log_key_file.exists():
        raise StoreUnavailable(f"no log key at {settings.log_key_file}: run scrapledger init")
    signer = Signer.load(settings.log_key_file)
    with store.read() as tx:
        log_keys.require_current(tx, signer)
    return Log(store, signer, settings.origin, timestamp_window=settings.timestamp_window_seconds)
