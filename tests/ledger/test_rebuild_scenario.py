"""A long random history, replayed: the projections rebuilt from the log equal the live ones.

A seeded random scenario of about 300 entries (parties, lots, splits, blends,
melts with primary additions, dispatches with and without a change of owner,
receipts inside and outside the mass tolerance, rejections, key rotations and
revocations, smelters' mass-balance accounts and allocations) is appended through
the log on each engine. Every projection is then rebuilt from the entries alone,
twice.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger import claim_accounts, claims, custody, lots, parties, transformations
from ledger.config import Settings
from ledger.entries import format_time, sign_submission
from ledger.log import Log
from ledger.masses import format_kg
from ledger.rebuild import projection_snapshot, rebuild
from ledger.signing import Signer
from ledger.store import Store
from tests.conftest import seeded_signer
from tests.factories import berry_body, dispatch_body, lot_body, output, receipt_body, transform_body, zorba_body

SEED = 20261121
ENTRIES = 300
PARTIES = {
    "rotterdam-metals": ("recycler", "NL", "Rotterdam Metals Recycling B.V."),
    "antwerp-shredding": ("recycler", "BE", "Antwerp Shredding N.V."),
    "duisburg-kabel": ("recycler", "DE", "Duisburger Kabelverwertung GmbH"),
    "ijmuiden-steel": ("smelter", "NL", "IJmuiden Steel Works B.V."),
    "hamburg-copper": ("smelter", "DE", "Hamburger Kupferhütte AG"),
}
# How a weighbridge reading differs from the declared mass: exact, inside and outside the 1 % tolerance.
WEIGHINGS = (1, 1, 0.996, 1.008, 0.97, 1.025)


@dataclass
class Lot:
    holder: str
    mass_g: int


@dataclass
class Scenario:
    """A ledger being written at random, with just enough of a model to keep every submission valid."""

    log: Log
    rng: random.Random
    keys: dict[str, list[Signer]] = field(default_factory=dict)
    active: dict[str, Lot] = field(default_factory=dict)
    open_transfers: dict[str, tuple[str, str, str, int]] = field(default_factory=dict)
    done: Counter[str] = field(default_factory=Counter)
    rotations: Counter[str] = field(default_factory=Counter)
    accounts: dict[str, str] = field(default_factory=dict)  # smelter -> its ferrous mass-balance account
    size: int = 1  # entries in the log, counted here rather than asked for on every append

    def submit(self, party: str, entry_type: str, body: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        signer = self.keys[party][-1]
        submission = {"log": self.log.origin, "party": party, "key_id": signer.key_id,
                      "submission_id": f"scenario-{self.size}", "timestamp": format_time(now),
                      "type": entry_type, "body": body}
        result = self.log.append(sign_submission(submission, signer), actor=party, now=now)
        self.size = result.index + 1
        return result.result

    def register_party(self, party: str) -> None:
        role, country, name = PARTIES[party]
        self.keys[party] = [seeded_signer(party)]
        self.submit("operator", parties.REGISTER, {
            "party_id": party, "legal_name": name, "registration_number": f"KVK-{party}", "country": country,
            "roles": [role], "public_keys": [self.keys[party][0].public_key.hex()]})
        self.done["party"] += 1
        if role == "smelter":
            self.accounts[party] = self.submit(party, claims.OPEN, {
                "site": f"{name} works", "material_family": "ferrous", "characteristic": "recycled",
                "model": "mass_balance", "period": "year", "carry_forward": False})["account_id"]

    def held_by(self, party: str) -> list[str]:
        return sorted(lot for lot, found in self.active.items() if found.holder == party)

    def register_lot(self, party: str) -> None:
        make = self.rng.choice((lot_body, zorba_body, berry_body))
        mass = self.rng.randint(500_000, 30_000_000)
        body = make(net_mass_kg=format_kg(mass), gross_mass_kg=None, tare_mass_kg=None,
                    reference=f"{party[:3].upper()}-{self.size:05d}")
        self.active[self.submit(party, lots.REGISTER, body)["lot_id"]] = Lot(party, mass)
        self.done["lot"] += 1

    def transform(self, party: str) -> None:
        held = self.held_by(party)
        kind = self.rng.choice(("split", "blend", "melt", "bale") if len(held) > 1 else ("split", "melt", "sort"))
        inputs = [self.rng.choice(held)] if kind == "split" else self.rng.sample(held, min(len(held), 3))
        additions = [self.rng.randint(100_000, 2_000_000)] if kind == "melt" and self.rng.random() < 0.7 else []
        available = sum(self.active[lot].mass_g for lot in inputs) + sum(additions)
        losses = available * self.rng.randint(0, 40) // 1000
        count = self.rng.randint(2, 3) if kind == "split" else 1
        masses = [(available - losses) // count] * count
        masses[-1] -= self.rng.randint(0, masses[-1] // 100)  # some mass goes unaccounted now and then
        body = transform_body(kind, inputs, [output(format_kg(mass)) for mass in masses], losses=format_kg(losses))
        if additions:
            body["additions"] = [{"material": "pig iron", "mass_kg": format_kg(additions[0])}]
        made = self.submit(party, transformations.TRANSFORM, body)
        for lot in inputs:
            del self.active[lot]
        self.active.update({lot: Lot(party, mass) for lot, mass in zip(made["outputs"], masses, strict=True)})
        self.done[kind] += 1

    def dispatch(self, party: str) -> None:
        lot = self.rng.choice(self.held_by(party))
        receiver = self.rng.choice(sorted(set(PARTIES) - {party}))
        body = dispatch_body(lot, receiver, format_kg(self.active[lot].mass_g))
        if self.rng.random() < 0.3:
            body["transfers_ownership"] = False
            self.done["dispatch without ownership"] += 1
        transfer = self.submit(party, custody.DISPATCH, body)["transfer_id"]
        self.open_transfers[transfer] = (lot, party, receiver, self.active.pop(lot).mass_g)
        self.done["dispatch"] += 1

    def close_transfer(self) -> None:
        transfer = self.rng.choice(sorted(self.open_transfers))
        lot, sender, receiver, declared = self.open_transfers.pop(transfer)
        if self.rng.random() < 0.2:
            self.submit(receiver, custody.REJECT, {"transfer_id": transfer, "reason": "radioactive source found"})
            self.active[lot] = Lot(sender, declared)
            self.done["reject"] += 1
            return
        weighed = round(declared * self.rng.choice(WEIGHINGS))
        body = receipt_body(transfer, format_kg(weighed), conformant=self.rng.random() < 0.9)
        self.submit(receiver, custody.RECEIVE, body)
        self.active[lot] = Lot(receiver, weighed)
        self.done["receipt with discrepancy" if abs(weighed - declared) * 100 > declared else "receipt"] += 1

    def rotate_key(self, party: str) -> None:
        self.rotations[party] += 1
        new = seeded_signer(f"{party}-key-{self.rotations[party]}")
        body = {"party_id": party, "new_public_key": new.public_key.hex()}
        retire = self.rng.random() < 0.6
        if retire:
            body["retire_key_id"] = self.keys[party][-1].key_id
        self.submit(party, parties.ROTATE, body)
        self.keys[party] = [*self.keys[party][:-1], new] if retire else [*self.keys[party], new]
        self.done["rotate"] += 1

    def revoke_key(self, party: str) -> None:
        old = self.keys[party][0]
        self.submit(party, parties.REVOKE, {"party_id": party, "key_id": old.key_id, "reason": "laptop stolen"})
        self.keys[party] = self.keys[party][1:]
        self.done["revoke"] += 1

    def claimable(self, party: str) -> list[str]:
        """Return the smelter's output lots it may allocate credit to (made by it after it opened its account)."""
        return [lot for lot in self.held_by(party) if party in self.accounts and lot.count("-") == 2]

    def allocate(self, party: str) -> None:
        lot = self.rng.choice(self.claimable(party))
        with self.log.store.read() as tx:
            _, available = claim_accounts.balances(tx.movements(self.accounts[party]))
            room = self.active[lot].mass_g - claim_accounts.claimed(tx, lot, "recycled")
        grams = min(available, room) // 2
        if grams:
            self.submit(party, claims.ALLOCATE, {"account_id": self.accounts[party], "lot_id": lot,
                                                 "mass_kg": format_kg(grams)})
            self.done["allocate"] += 1

    def step(self) -> None:
        party = self.rng.choice(sorted(PARTIES))
        held = self.held_by(party)
        choices = ["lot"] * 3 + ["rotate"] + ["transform"] * (4 if held else 0) + ["dispatch"] * (3 if held else 0)
        choices += ["allocate"] * 3 * bool(self.claimable(party))
        choices += ["close"] * 4 * bool(self.open_transfers) + ["revoke"] * 2 * (len(self.keys[party]) > 1)
        action = self.rng.choice(choices)
        if action == "lot":
            self.register_lot(party)
        elif action == "transform":
            self.transform(party)
        elif action == "dispatch":
            self.dispatch(party)
        elif action == "close":
            self.close_transfer()
        elif action == "rotate":
            self.rotate_key(party)
        elif action == "allocate":
            self.allocate(party)
        else:
            self.revoke_key(party)


def play(settings: Settings, genesis: Any) -> Store:
    """Append the seeded scenario to the ledger and return its store."""
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    scenario = Scenario(Log(store, Signer.load(settings.log_key_file), settings.origin), random.Random(SEED),
                        {"operator": [Signer.load(genesis.operator_key_file)]})
    for party in PARTIES:
        scenario.register_party(party)
    assert scenario.size == scenario.log.size()
    while scenario.size < ENTRIES:
        scenario.step()
    kinds = {"lot", "split", "blend", "melt", "dispatch", "dispatch without ownership", "receipt",
             "receipt with discrepancy", "reject", "rotate", "revoke", "allocate"}
    assert kinds <= set(scenario.done), f"the scenario never made {kinds - set(scenario.done)}"
    return store


def test_projections_rebuilt_twice_from_a_long_random_history_equal_the_live_ones(settings, genesis):
    store = play(settings, genesis)
    try:
        live = projection_snapshot(store)
        assert rebuild(store) == ENTRIES
        first = projection_snapshot(store)
        assert first == live
        rebuild(store)
        assert projection_snapshot(store) == first
    finally:
        store.dispose()
