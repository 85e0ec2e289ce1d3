"""Settings of a scrapledger deployment, read from environment variables only."""

from __future__ import annotations

import os
from fractions import Fraction
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything an operator can configure; README.md lists each variable."""

    home: Path
    database_url: str
    log_key_file: Path
    origin: str
    timestamp_window_seconds: int
    max_body_bytes: int
    sqlite_synchronous: str
    mass_tolerance: str
    cahra_file: Path | None
    flagged_transfers: str
    open_transfer_days: int
    rate_limit: str
    rate_limit_storage: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Return the settings named by `env` (default: os.environ), with documented defaults."""
        env = os.environ if env is None else env
        home = Path(env.get("SCRAPLEDGER_HOME", "var")).resolve()
        synchronous = env.get("SCRAPLEDGER_SQLITE_SYNCHRONOUS", "FULL").upper()
        if synchronous not in {"FULL", "NORMAL", "EXTRA"}:
            raise InvalidInput("SCRAPLEDGER_SQLITE_SYNCHRONOUS", "must be FULL, NORMAL or EXTRA")
        return cls(
            home=home,
            database_url=env.get("DATABASE_URL", f"sqlite:///{home / 'scrapledger.db'}"),
            log_key_file=Path(env.get("SCRAPLEDGER_LOG_KEY_FILE", str(home / "log-key.pem"))),
            origin=env.get("SCRAPLEDGER_ORIGIN", "scrapledger.local/log"),
            timestamp_window_seconds=_int(env, "SCRAPLEDGER_TIMESTAMP_WINDOW", 300),
            max_body_bytes=_int(env, "SCRAPLEDGER_MAX_BODY_BYTES", 4 * 1024 * 1024),
            sqlite_synchronous=synchronous,
            mass_tolerance=_fraction(env, "SCRAPLEDGER_MASS_TOLERANCE", "0.01"),
            cahra_file=Path(env["SCRAPLEDGER_CAHRA_FILE"]) if env.get("SCRAPLEDGER_CAHRA_FILE") else None,
            flagged_transfers=_choice(env, "SCRAPLEDGER_FLAGGED_TRANSFERS", ("warn", "fail")),
            open_transfer_days=_int(env, "SCRAPLEDGER_OPEN_TRANSFER_DAYS", 14),
            rate_limit=env.get("SCRAPLEDGER_RATE_LIMIT", "3000 per minute"),
            rate_limit_storage=env.get("SCRAPLEDGER_RATE_LIMIT_STORAGE", "memory://"),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise InvalidInput(name, "must be a non-negative integer")
    return int(raw)


def _fraction(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, default)
    try:
        value = Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise InvalidInput(name, "must be a decimal fraction such as 0.01") from None
    if not 0 <= value < 1:
        raise InvalidInput(name, "must lie between 0 and 1")
    return raw


def _choice(env: Mapping[str, str], name: str, options: tuple[str, ...]) -> str:
    raw = env.get(name, options[0])
    if raw not in options:
        raise InvalidInput(name, f"must be one of {', '.join(options)}")
    return raw
