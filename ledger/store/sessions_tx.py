"""Web sessions: which party a browser's session cookie signs in, stored only as its SHA-256."""

from __future__ import annotations

from .direct_sql import DirectSql


class SessionReads:
    sql: DirectSql

    def web_session(self, session_hash: str, now: str) -> str | None:
        """Return the party of an unexpired session, or None."""
        row = self.sql.one("SELECT party_id FROM web_sessions WHERE session_hash = ? AND expires_at > ?",
                           (session_hash, now))
        return None if row is None else str(row[0])


class SessionWrites:
    sql: DirectSql

    def open_web_session(self, session_hash: str, party_id: str, created_at: str, expires_at: str) -> None:
        self.sql.run("INSERT INTO web_sessions (session_hash, party_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                     (session_hash, party_id, created_at, expires_at))

    def close_web_session(self, session_hash: str, now: str) -> None:
        """End the session, and sweep every expired one with it."""
        self.sql.run("DELETE FROM web_sessions WHERE session_hash = ? OR expires_at <= ?", (session_hash, now))
