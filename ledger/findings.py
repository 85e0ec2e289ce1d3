"""Everything an auditor should look at, as one list of findings with the entries behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .cahra import HighRiskList
from .entries import Entry, format_time
from .errors import LedgerError
from .masses import format_kg
from .store import ReadTx

KINDS = ("discrepancy", "rejected_delivery", "stale_transfer", "high_risk_origin", "failing_declaration",
         "key_revoked_after_use")


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    subject: str
    parties: tuple[str, ...]
    detail: str
    entries: tuple[int, ...]


def findings(tx: ReadTx, high_risk: HighRiskList, open_days: int, now: datetime) -> list[Finding]:
    """Return every finding, ordered by the first entry that shows it."""
    found: list[Finding] = []
    for t in tx.flagged_transfers(format_time(now - timedelta(days=open_days))):
        cited = tuple(i for i in (t.dispatched_entry, t.closed_entry) if i is not None)
        if t.discrepancy:
            found.append(Finding("discrepancy", t.transfer_id, (t.sender, t.receiver),
                                 f"{t.lot_id}: declared {format_kg(t.declared_g)} kg, weighed "
                                 f"{format_kg(t.weighed_g or 0)} kg", cited))
        if t.status == "rejected":
            found.append(Finding("rejected_delivery", t.transfer_id, (t.sender, t.receiver),
                                 f"{t.lot_id} rejected: {(t.outcome or {}).get('reason', '')}", cited))
        if t.status == "open":
            found.append(Finding("stale_transfer", t.transfer_id, (t.sender, t.receiver),
                                 f"{t.lot_id} in transit since {t.dispatched_at}, more than {open_days} days", cited))
    for lot in tx.registered_lots_from(sorted(high_risk.countries)):
        country = lot.attributes["origin"]["country"]
        found.append(Finding("high_risk_origin", lot.lot_id, (lot.created_by,),
                             f"registered with origin {country}, on the high-risk list of {high_risk.date}",
                             (lot.created_entry,)))
    for declaration_id, failed, checked_at in tx.failing_verdicts():
        record = tx.declaration(declaration_id)
        if record is not None:
            found.append(Finding("failing_declaration", declaration_id, (record.issuer, record.recipient),
                                 f"failed {failed} when verified at {checked_at}", (record.entry_index,)))
    for key in tx.revoked_keys():
        used = [index for index, data in tx.party_entries_between(key.party_id, key.added_at, key.ended_at or 0)
                if _signed_with(data, key.key_id) and index != key.ended_at]
        if used:
            found.append(Finding("key_revoked_after_use", key.key_id[:16], (key.party_id,),
                                 f"revoked at entry {key.ended_at} after signing {len(used)} entries",
                                 (key.added_at, *used[:20], key.ended_at or 0)))
    return sorted(found, key=lambda finding: (finding.entries[0] if finding.entries else -1, finding.kind))


def _signed_with(data: bytes, key_id: str) -> bool:
    try:
        return Entry.from_bytes(data).signed.key_id == key_id
    except LedgerError:
        return False
