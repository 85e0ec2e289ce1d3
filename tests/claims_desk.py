"""A ledger written at chosen times, for mass-balance tests: parties, lots, melts, claims and period closes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger import claims, custody, lots, parties, periods, transformations
from ledger.entries import format_time, sign_submission
from ledger.log import Log
from ledger.signing import Signer
from ledger.store import Store
from tests.conftest import seeded_signer
from tests.factories import berry_body, dispatch_body, output, receipt_body, transform_body

PARTIES = (("duisburg-kabel", "recycler"), ("rotterdam-metals", "recycler"), ("hamburg-copper", "smelter"),
           ("eindhoven-wire", "smelter"), ("tuv-audit", "auditor"))
COPPER_ACCOUNT = {"site": "Hamburg Peute smelter", "material_family": "copper", "characteristic": "recycled",
                  "model": "mass_balance", "period": "month", "carry_forward": True, "carry_forward_cap": "0.5"}


@dataclass
class Desk:
    """Submits as any party at `now`, which the test moves forward."""

    log: Log
    store: Store
    now: datetime
    signers: dict[str, Signer] = field(default_factory=dict)
    count: int = 0

    @classmethod
    def attach(cls, settings: Any, operator_key_file: Any, now: datetime) -> Desk:
        """Return a desk on a ledger that already has the desk's parties."""
        store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        log = Log(store, Signer.load(settings.log_key_file), settings.origin)
        signers = {"operator": Signer.load(operator_key_file), **{party: seeded_signer(party) for party, _ in PARTIES}}
        return cls(log, store, now, signers, count=log.size())

    @classmethod
    def open(cls, settings: Any, genesis: Any, now: datetime) -> Desk:
        """Return a desk on a ledger with only its genesis, after registering the desk's parties."""
        desk = cls.attach(settings, genesis.operator_key_file, now)
        for party, role in PARTIES:
            desk.submit("operator", parties.REGISTER, {
                "party_id": party, "legal_name": party.title(), "registration_number": f"KVK-{party}",
                "country": "DE", "roles": [role], "public_keys": [desk.signers[party].public_key.hex()]})
        return desk

    def submit(self, party: str, entry_type: str, body: dict[str, Any]) -> dict[str, Any]:
        self.count += 1
        self.now += timedelta(seconds=1)
        submission = {"log": self.log.origin, "party": party, "key_id": self.signers[party].key_id,
                      "submission_id": f"desk-{self.count}", "timestamp": format_time(self.now),
                      "type": entry_type, "body": body}
        return self.log.append(sign_submission(submission, self.signers[party]), actor=party, now=self.now).result

    def copper_lot(self, party: str, kg: str, stage: str = "post_consumer") -> str:
        body = berry_body(net_mass_kg=kg, consumer_stage=stage, reference=f"CU-{self.count:04d}")
        return self.submit(party, lots.REGISTER, body)["lot_id"]

    def deliver(self, lot_id: str, sender: str, receiver: str, kg: str, site: str | None = None) -> None:
        transfer = self.submit(sender, custody.DISPATCH, dispatch_body(lot_id, receiver, kg))["transfer_id"]
        self.submit(receiver, custody.RECEIVE, {**receipt_body(transfer, kg), **({"site": site} if site is not None else {})})

    def melt(self, party: str, inputs: list[str], outputs_kg: list[str], losses_kg: str, primary_kg: str = "0",
             family: str = "copper", site: str | None = None) -> list[str]:
        body = transform_body("melt", inputs, [output(kg, material_family=family) for kg in outputs_kg],
                              losses=losses_kg)
        if site is not None:
            body["site"] = site
        if Decimal(primary_kg):
            body["additions"] = [{"material": "copper cathode", "mass_kg": primary_kg}]
        return self.submit(party, transformations.TRANSFORM, body)["outputs"]

    def open_account(self, party: str, **changes: Any) -> str:
        body = {key: value for key, value in {**COPPER_ACCOUNT, **changes}.items() if value is not None}
        return self.submit(party, claims.OPEN, body)["account_id"]

    def allocate(self, party: str, account: str, lot_id: str, kg: str) -> None:
        self.submit(party, claims.ALLOCATE, {"account_id": account, "lot_id": lot_id, "mass_kg": kg})

    def close(self, party: str, account: str, period: str) -> None:
        self.submit(party, claims.CLOSE, {"account_id": account, "period": period})

    @property
    def period(self) -> str:
        """The month the desk's clock is in (accounts in the tests keep monthly periods)."""
        return periods.period_of(format_time(self.now), "month")

    def next_month(self) -> str:
        """Move the clock into the next month; return the month left behind."""
        left = self.period
        self.now = datetime.fromisoformat(periods.end(left, "month").replace("Z", "+00:00")) + timedelta(hours=1)
        return left

    def lot(self, lot_id: str) -> Any:
        with self.store.read() as tx:
            return tx.lot(lot_id)

    def statement(self, account: str, period: str, reader: str = "tuv-audit") -> dict[str, Any]:
        with self.store.read() as tx:
            return claims.period_statement(tx, reader, account, period, format_time(self.now))
