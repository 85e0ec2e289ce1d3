"""Mass-balance accounts, movements and closed periods inside a transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlmodel import col

from .tables import ClaimAccountRow, ClaimMovementRow, ClaimPeriodRow


@dataclass(frozen=True, slots=True)
class AccountRecord:
    account_id: str
    entry_index: int
    holder: str
    site: str
    material_family: str
    characteristic: str
    period_rule: str
    carry_forward_cap: str | None  # None: no carry-forward
    opened_at: str


@dataclass(frozen=True, slots=True)
class Movement:
    account_id: str
    entry_index: int
    seq: int
    period: str
    kind: str
    lot_id: str | None
    grams: int


class ClaimReads:
    connection: Connection

    def account(self, account_id: str) -> AccountRecord | None:
        row = self.connection.execute(
            select(ClaimAccountRow).where(col(ClaimAccountRow.account_id) == account_id)).first()
        return None if row is None else _account(row)

    def accounts(self, holder: str | None = None) -> list[AccountRecord]:
        """Return the accounts of `holder` (every account when None), in opening order."""
        query = select(ClaimAccountRow).order_by(col(ClaimAccountRow.entry_index))
        if holder is not None:
            query = query.where(col(ClaimAccountRow.holder) == holder)
        return [_account(row) for row in self.connection.execute(query)]

    def movements(self, account_id: str, *, lot_id: str | None = None) -> list[Movement]:
        """Return an account's movements in log order (of one lot when `lot_id` is given)."""
        query = select(ClaimMovementRow).where(col(ClaimMovementRow.account_id) == account_id)
        if lot_id is not None:
            query = query.where(col(ClaimMovementRow.lot_id) == lot_id)
        rows = self.connection.execute(query.order_by(col(ClaimMovementRow.entry_index), col(ClaimMovementRow.seq)))
        return [_movement(row) for row in rows]

    def movement_totals(self, account_id: str, *, before: str | None = None,
                        period: str | None = None) -> dict[str, int]:
        """Return an account's grams per movement kind: in all, in the periods before `before`, or in `period`."""
        query = (select(col(ClaimMovementRow.kind), func.sum(col(ClaimMovementRow.grams)))
                 .where(col(ClaimMovementRow.account_id) == account_id).group_by(col(ClaimMovementRow.kind)))
        if before is not None:
            query = query.where(col(ClaimMovementRow.period) < before)
        if period is not None:
            query = query.where(col(ClaimMovementRow.period) == period)
        return {kind: int(total) for kind, total in self.connection.execute(query)}

    def period_entries(self, account_id: str, period: str) -> list[int]:
        """Return the entries that moved an account in a period, other than its close, in log order."""
        rows = self.connection.execute(
            select(col(ClaimMovementRow.entry_index)).distinct()
            .where(col(ClaimMovementRow.account_id) == account_id, col(ClaimMovementRow.period) == period,
                   col(ClaimMovementRow.kind) != "forfeited").order_by(col(ClaimMovementRow.entry_index)))
        return [int(index) for index, in rows]

    def lot_movements(self, lot_id: str) -> list[Movement]:
        """Return every account's movements naming a lot, in log order."""
        rows = self.connection.execute(select(ClaimMovementRow).where(col(ClaimMovementRow.lot_id) == lot_id)
                                       .order_by(col(ClaimMovementRow.entry_index), col(ClaimMovementRow.seq)))
        return [_movement(row) for row in rows]

    def closed_periods(self, account_id: str) -> list[tuple[str, int, dict[str, Any]]]:
        """Return an account's closed periods in order: period, closing entry, statement."""
        rows = self.connection.execute(select(ClaimPeriodRow).where(col(ClaimPeriodRow.account_id) == account_id)
                                       .order_by(col(ClaimPeriodRow.closed_entry)))
        return [(row.period, row.closed_entry, json.loads(row.statement)) for row in rows]


class ClaimWrites:
    """Writes; each forgets what the transaction remembered of the holder's accounts (WriteTx)."""

    connection: Connection
    _accounts: dict[str, list[AccountRecord]]

    def insert_account(self, account: AccountRecord) -> None:
        self._accounts.pop(account.holder, None)
        self.connection.execute(insert(ClaimAccountRow), [{name: getattr(account, name)
                                                           for name in AccountRecord.__slots__}])

    def insert_movements(self, movements: list[Movement]) -> None:
        if movements:
            self.connection.execute(insert(ClaimMovementRow), [{name: getattr(movement, name)
                                                                for name in Movement.__slots__}
                                                               for movement in movements])

    def insert_period(self, account_id: str, period: str, closed_entry: int, statement: dict[str, Any]) -> None:
        self.connection.execute(insert(ClaimPeriodRow), [{
            "account_id": account_id, "period": period, "closed_entry": closed_entry,
            "statement": json.dumps(statement, sort_keys=True, separators=(",", ":"))}])


def _movement(row: Any) -> Movement:
    return Movement(*(getattr(row, name) for name in Movement.__slots__))


def _account(row: Any) -> AccountRecord:
    return AccountRecord(**{name: getattr(row, name) for name in AccountRecord.__slots__})
