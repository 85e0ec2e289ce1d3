"""Mass balance per party and material: what came in, what went out, what is held.

Flows are computed from the projections. Over the whole history, each party's
balance must equal what it holds now and never be negative; and the same
numbers must come out when the projections are rebuilt from the log alone
(`recompute_from_log`), which catches projections that drifted from the log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .masses import format_kg
from .rebuild import recomputed
from .store import ReadTx, Store

FLOWS = ("registered", "received", "produced", "sent", "consumed", "losses", "additions", "unaccounted")


@dataclass
class Balance:
    """Grams of one material through one party's hands in a period."""

    party_id: str
    material_family: str
    flows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLOWS, 0))
    holdings: int = 0

    @property
    def balance(self) -> int:
        """Inputs (registered, received, produced) minus outputs (sent, consumed)."""
        f = self.flows
        return f["registered"] + f["received"] + f["produced"] - f["sent"] - f["consumed"]


def balances(tx: ReadTx, created_from: str | None = None, created_until: str | None = None) -> list[Balance]:
    """Return each party's balance per material in the period (the whole history when unbounded)."""
    rows = tx.flows(created_from, created_until)
    table: dict[tuple[str, str], Balance] = {}

    def of(party: str, material: str) -> Balance:
        return table.setdefault((party, material), Balance(party, material))

    lots = {row.lot_id: row for row in rows["lots"]}
    made_by: dict[int, list[Any]] = defaultdict(list)
    used_by: dict[int, list[Any]] = defaultdict(list)
    for row in lots.values():
        made_by[row.created_entry].append(row)
        if row.consumed_entry is not None:
            used_by[row.consumed_entry].append(row)
        in_period = (not created_from or row.created_at >= created_from) and (
            not created_until or row.created_at < created_until)
        if row.origin_kind == "registered" and in_period:
            of(row.created_by, row.material_family).flows["registered"] += row.created_mass_g
        if row.status == "active":
            of(row.holder, row.material_family).holdings += row.mass_g
    for t in rows["transfers"]:
        material = lots[t.lot_id].material_family
        if t.status != "rejected":
            of(t.sender, material).flows["sent"] += t.lot_mass_g
        if t.status == "received":
            of(t.receiver, material).flows["received"] += t.weighed_g
    for t in rows["transformations"]:
        for lot in made_by[t.entry_index]:
            of(t.actor, lot.material_family).flows["produced"] += lot.created_mass_g
        for lot in used_by[t.entry_index]:
            of(t.actor, lot.material_family).flows["consumed"] += _mass_when_consumed(lot)
        for name, grams in (("losses", t.losses_g), ("additions", t.additions_g), ("unaccounted", t.unaccounted_g)):
            of(t.actor, t.material_family).flows[name] += grams
    return sorted(table.values(), key=lambda b: (b.party_id, b.material_family))


def _mass_when_consumed(lot: Any) -> int:
    """A consumed lot's mass never changes after consumption, so its last mass is the mass consumed."""
    return int(lot.mass_g)


def recompute_from_log(store: Store) -> list[Balance]:
    """Return the whole-history balances computed on projections rebuilt from the log in a scratch database."""
    return recomputed(store, balances)


@dataclass(frozen=True, slots=True)
class MassBalanceReport:
    balances: list[Balance]
    whole_history: bool
    problems: list[str]
    recomputed_from_log: bool


def report(store: Store, *, party: str | None = None, material: str | None = None,
           created_from: str | None = None, created_until: str | None = None,
           recompute: bool = False) -> MassBalanceReport:
    """Return the balances asked for and every problem found in them.

    Over the whole history a balance must be non-negative and equal the
    party's current holdings; with `recompute`, the projections' numbers must
    equal those rebuilt from the log.
    """
    whole = not created_from and not created_until
    with store.read() as tx:
        found = balances(tx, created_from, created_until)
        history = found if whole else balances(tx)
    problems = []
    for b in history:
        label = f"{b.party_id}/{b.material_family}"
        if b.balance < 0:
            problems.append(f"{label}: negative balance of {format_kg(b.balance)} kg")
        if b.balance != b.holdings:
            problems.append(f"{label}: balance {format_kg(b.balance)} kg but holdings {format_kg(b.holdings)} kg")
    if recompute:
        from_log = {(b.party_id, b.material_family): (b.flows, b.holdings) for b in recompute_from_log(store)}
        live = {(b.party_id, b.material_family): (b.flows, b.holdings) for b in history}
        for key in sorted(set(from_log) | set(live)):
            if from_log.get(key) != live.get(key):
                problems.append(f"{key[0]}/{key[1]}: the projections differ from the log")
    selected = [b for b in found if (party is None or b.party_id == party)
                and (material is None or b.material_family == material)]
    return MassBalanceReport(selected, whole, problems, recompute)
