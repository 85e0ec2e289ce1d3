"""The auditor's check of mass-balance accounts: every account recomputed from the log alone, never negative.

An account's books are its movements and its closed periods' statements. The
projection must equal what a replay of the log into a scratch database makes,
and no prefix of an account's movements may leave its stock or its available
credit below zero.
"""

from __future__ import annotations

from typing import Any

from . import claim_accounts
from .findings import Finding
from .masses import format_kg
from .rebuild import recomputed
from .store import ReadTx, Store

Books = dict[str, tuple[str, list[Any], list[Any]]]  # account -> holder, movements, closed periods


def books(tx: ReadTx) -> Books:
    """Return every account's holder, movements and closed periods."""
    return {account.account_id: (account.holder, tx.movements(account.account_id),
                                 tx.closed_periods(account.account_id)) for account in tx.accounts()}


def account_findings(store: Store) -> list[Finding]:
    """Return a finding for every account whose books differ from the log's, and for every one that went negative."""
    with store.read() as tx:
        live = books(tx)
    from_log = recomputed(store, books)
    found = []
    for account in sorted(set(live) | set(from_log)):
        holder, movements, _ = live.get(account) or from_log[account]
        if live.get(account) != from_log.get(account):
            shown = [format_kg(claim_accounts.balances(side[account][1])[1]) if account in side else "none"
                     for side in (live, from_log)]
            found.append(Finding("claim_account_differs", account, (holder,),
                                 f"available {shown[0]} kg in the projection, {shown[1]} kg recomputed from the log",
                                 tuple(sorted({m.entry_index for m in movements}))[:20]))
        for movement, stock, available in claim_accounts.running(movements):
            if stock < 0 or available < 0:
                found.append(Finding("claim_account_negative", account, (holder,),
                                     f"after entry {movement.entry_index}: stock {format_kg(stock)} kg, "
                                     f"available {format_kg(available)} kg", (movement.entry_index,)))
                break
    return found
