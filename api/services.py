"""The ledger services of one app: settings, store and log, built once and kept in app.extensions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Callable, TypeVar

from flask import Flask, current_app

from ledger.cahra import HighRiskList
from ledger.config import Settings
from ledger.errors import LedgerError
from ledger.genesis import open_log
from ledger.log import Log
from ledger.store import ReadTx, Store
from ledger.verification import Policy

from .auth import KnownTokens

T = TypeVar("T")


@dataclass
class Services:
    """Built at app start; the log key is loaded on first use so /readyz can report it missing."""

    settings: Settings
    store: Store
    tokens: KnownTokens = field(default_factory=KnownTokens)
    _log: Log | None = field(default=None)
    _policy: Policy | None = field(default=None)

    @property
    def log(self) -> Log:
        if self._log is None:
            self._log = open_log(self.settings, self.store)
        return self._log

    @property
    def policy(self) -> Policy:
        """Return the verification policy: the high-risk list, the ledger's mass tolerance, flagged transfers."""
        if self._policy is None:
            with self.store.read() as tx:
                tolerance = tx.meta("mass_tolerance") or self.settings.mass_tolerance
            self._policy = Policy(HighRiskList.load(self.settings.cahra_file), Fraction(tolerance),
                                  self.settings.flagged_transfers)
        return self._policy

    def open_log_early(self) -> None:
        """Open the log now if the key and the database allow it, else leave it to the first use.

        A worker that has its log knows the key is right even while the
        database is away, so /readyz can tell the two apart.
        """
        try:
            self.log
        except LedgerError:
            pass

    @property
    def log_loaded(self) -> bool:
        return self._log is not None

    def read(self, query: Callable[[ReadTx], T]) -> T:
        """Return `query` run in one read transaction."""
        with self.store.read() as tx:
            return query(tx)


def init_app(app: Flask, settings: Settings) -> None:
    """Attach the services to `app`."""
    built = Services(settings, Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous))
    app.extensions["scrapledger"] = built
    built.open_log_early()


def services() -> Services:
    """Return the services of the current app."""
    return current_app.extensions["scrapledger"]  # type: ignore[no-any-return]


def now() -> datetime:
    """Return the server's current UTC time (the one clock views use)."""
    return datetime.now(UTC)


