"""Mass-balance accounts over random histories: nothing allocated that did not come in, nothing ever negative.

A smelter with monthly copper accounts at two sites receives scrap from a
recycler at either, melts it at either (with primary cathode, at random
yields), allocates credit from either to its ingots (sometimes more than it
may, or across sites: that must be refused and change nothing), sells ingots
and unprocessed scrap on, and closes months as its clock moves forward, on a
fresh SQLite ledger per example. After every step, on each account:

    allocated <= converted <= received, and every prefix of the account's movements
    leaves stock >= 0 and available >= 0; no lot claims more than its mass;
    every allocation went to a lot made at the account's site (while the smelter holds it);

a buyer (with an account of its own) is credited no more for a lot the smelter
made than the claim on it; and at the end of each example a rebuild from the log
alone reproduces every movement and every closed statement byte for byte.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from ledger import claim_accounts, periods
from ledger.claim_accounts import CHARACTERISTICS
from ledger.claims import first_open_period
from ledger.config import Settings
from ledger.errors import ClaimRefused
from ledger.genesis import initialise
from ledger.masses import format_kg
from ledger.rebuild import projection_snapshot, rebuild
from tests.claims_desk import Desk
from tests.conftest import ORIGIN

SMELTER, RECYCLER, BUYER = "hamburg-copper", "duisburg-kabel", "eindhoven-wire"
SITES = ("Hamburg Peute smelter", "Lünen wire-rod plant")
TONNES = 1_000_000
CLAIM_TABLES = ("claim_accounts", "claim_movements", "claim_periods")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the home of an initialised SQLite ledger with the desk's parties, to copy for each example."""
    home = tmp_path_factory.mktemp("claims-template")
    config = Settings.from_env({"DATABASE_URL": f"sqlite:///{home / 'ledger.db'}", "SCRAPLEDGER_HOME": str(home),
                                "SCRAPLEDGER_ORIGIN": ORIGIN, "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "NORMAL"})
    done = initialise(config, operator_id="operator", legal_name="Ledger Operations B.V.",
                      registration_number="NL-KVK-90000001", country="NL", now=datetime.now(UTC))
    Desk.open(config, done, datetime.now(UTC)).store.dispose()
    return home


class Claims(RuleBasedStateMachine):
    """A smelter's copper account driven at random through receipts, melts, claims, sales and month ends."""

    template: Path

    def __init__(self) -> None:
        super().__init__()
        self.home = tempfile.TemporaryDirectory(prefix="claims-")
        for path in self.template.glob("ledger.db*"):
            shutil.copy(path, self.home.name)
        config = Settings.from_env({"DATABASE_URL": f"sqlite:///{Path(self.home.name) / 'ledger.db'}",
                                    "SCRAPLEDGER_HOME": str(self.template), "SCRAPLEDGER_ORIGIN": ORIGIN,
                                    "SCRAPLEDGER_SQLITE_SYNCHRONOUS": "NORMAL"})
        self.desk = Desk.attach(config, self.template / "operator-key.pem", datetime.now(UTC) + timedelta(minutes=5))
        self.store = self.desk.store
        self.stock: list[str] = []  # scrap lots the smelter holds
        self.ingots: dict[str, int] = {}  # output lots the smelter holds -> grams
        self.since_close = 0

    def teardown(self) -> None:
        try:
            self.a_rebuild_reproduces_every_movement_and_statement()
        finally:
            self.store.dispose()
            self.home.cleanup()

    def claim_rows(self) -> dict[str, list[Any]]:
        return {name: rows for name, rows in projection_snapshot(self.store).items() if name in CLAIM_TABLES}

    def a_rebuild_reproduces_every_movement_and_statement(self) -> None:
        before = self.claim_rows()
        rebuild(self.store)
        assert self.claim_rows() == before

    @initialize(cap=st.sampled_from([None, "0", "0.25", "1"]), buyer=st.sampled_from(CHARACTERISTICS),
                family=st.sampled_from(["copper", "brass"]))
    def open_the_accounts(self, cap: str | None, buyer: str, family: str) -> None:
        self.accounts = {site: self.desk.open_account(SMELTER, site=site, carry_forward=cap is not None,
                                                      carry_forward_cap=cap) for site in SITES}
        self.buyers = self.desk.open_account(BUYER, characteristic=buyer, material_family=family)
        self.buyer_characteristic = buyer

    @rule(tonnes=st.integers(1, 40), stage=st.sampled_from(["post_consumer", "pre_consumer", "home_scrap"]),
          weighed=st.sampled_from([1, 0.995, 1.004]), site=st.sampled_from(SITES))
    def receive_scrap(self, tonnes: int, stage: str, weighed: float, site: str) -> None:
        lot = self.desk.copper_lot(RECYCLER, format_kg(tonnes * TONNES), stage)
        self.desk.deliver(lot, RECYCLER, SMELTER, format_kg(round(tonnes * TONNES * weighed)), site=site)
        self.stock.append(lot)

    @precondition(lambda self: self.stock or self.ingots)
    @rule(data=st.data())
    def melt(self, data: st.DataObject) -> None:
        held = self.stock + sorted(self.ingots)
        inputs = data.draw(st.lists(st.sampled_from(held), min_size=1, max_size=3, unique=True), label="inputs")
        with self.store.read() as tx:
            input_g = sum(lot.mass_g for lot in map(tx.lot, inputs) if lot is not None)
        primary = data.draw(st.integers(0, 30) , label="primary tonnes") * TONNES
        pool = input_g + primary
        losses = pool * data.draw(st.integers(0, 60), label="loss per mille") // 1000
        count = data.draw(st.integers(1, 3), label="outputs")
        family = data.draw(st.sampled_from(["copper", "brass"]), label="output family")
        site = data.draw(st.sampled_from(SITES), label="site")
        masses = [(pool - losses) // count] * count
        made = self.desk.melt(SMELTER, inputs, [format_kg(grams) for grams in masses], format_kg(losses),
                              primary_kg=format_kg(primary), family=family, site=site)
        self.stock = [lot for lot in self.stock if lot not in inputs]
        self.ingots = {lot: grams for lot, grams in self.ingots.items() if lot not in inputs}
        self.ingots.update(zip(made, masses, strict=True))

    @precondition(lambda self: self.ingots)
    @rule(data=st.data())
    def allocate(self, data: st.DataObject) -> None:
        lot = data.draw(st.sampled_from(sorted(self.ingots)), label="ingot")
        grams = data.draw(st.integers(1, self.ingots[lot] + TONNES), label="grams")
        account = self.accounts[data.draw(st.sampled_from(SITES), label="account's site")]
        before = self.desk.log.size()
        try:
            self.desk.allocate(SMELTER, account, lot, format_kg(grams))
        except ClaimRefused:
            assert self.desk.log.size() == before

    @precondition(lambda self: self.ingots)
    @rule(data=st.data())
    def sell_an_ingot(self, data: st.DataObject) -> None:
        lot = data.draw(st.sampled_from(sorted(self.ingots)), label="ingot")
        self.desk.deliver(lot, SMELTER, BUYER, format_kg(self.ingots.pop(lot)))

    @precondition(lambda self: self.stock)
    @rule(data=st.data())
    def sell_scrap_unprocessed(self, data: st.DataObject) -> None:
        lot = data.draw(st.sampled_from(self.stock), label="scrap")
        with self.store.read() as tx:
            record = tx.lot(lot)
        assert record is not None
        self.desk.deliver(lot, SMELTER, BUYER, format_kg(record.mass_g))
        self.stock.remove(lot)

    @precondition(lambda self: self.since_close >= 4)  # a month of activity, not a month per step
    @rule()
    def close_a_month(self) -> None:
        self.since_close = 0
        for account in self.accounts.values():
            with self.store.read() as tx:
                record = tx.account(account)
                assert record is not None
                month = first_open_period(tx, record)
            self.desk.now = max(self.desk.now, datetime.fromisoformat(
                periods.end(month, "month").replace("Z", "+00:00")) + timedelta(hours=1))
            self.desk.close(SMELTER, account, month)

    @invariant()
    def a_buyer_is_credited_only_the_claims_on_what_the_smelter_made(self) -> None:
        with self.store.read() as tx:
            for movement in tx.movements(self.buyers):
                lot = tx.lot(movement.lot_id or "")
                if movement.kind == "received" and lot is not None and lot.origin_kind != "registered":
                    assert movement.grams <= claim_accounts.claimed(tx, lot.lot_id, self.buyer_characteristic)

    @invariant()
    def count_the_steps_since_the_last_close(self) -> None:
        self.since_close += 1

    @invariant()
    def nothing_is_allocated_that_did_not_come_in_and_nothing_goes_negative(self) -> None:
        with self.store.read() as tx:
            for lot in self.ingots:
                record = tx.lot(lot)
                assert record is not None and claim_accounts.claimed(tx, lot, "recycled") <= record.mass_g
            for site, account in self.accounts.items():
                movements = tx.movements(account)
                total = {kind: sum(m.grams for m in movements if m.kind == kind) for kind in claim_accounts.KINDS}
                assert total["allocated"] <= total["converted"]
                for _, stock, available in claim_accounts.running(movements):
                    assert stock >= 0 and available >= 0
                assert all(getattr(tx.lot(m.lot_id or ""), "site", None) == site
                           for m in movements if m.kind == "allocated" and m.lot_id in self.ingots)


def test_random_histories_never_allocate_more_than_came_in_and_rebuild_every_statement(template: Path) -> None:
    Claims.template = template
    run_state_machine_as_test(Claims, settings=settings(max_examples=40, stateful_step_count=25, deadline=None))
