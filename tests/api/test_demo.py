"""`scrapledger init` then `scrapledger demo`: a realistic chain in an empty ledger, loaded once."""

from __future__ import annotations

import stat
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from api.cli import main
from api.demo import PARTIES
from ledger.audit import verify_store
from ledger.config import Settings
from ledger.log import Log
from ledger.signing import Signer
from ledger.store import LotFilter, Store

DEMO_ENTRIES = 40  # genesis, 6 parties, 12 lots, split, blend, 8 dispatches, 7 receipts, 1 rejection, 1 melt,
#                   a mass-balance account and an allocation


@pytest.fixture
def loaded(env: dict[str, str]) -> Result:
    """Return the output of `scrapledger demo` on a freshly initialised ledger."""
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    result = runner.invoke(main, ["demo"], env=env)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def store(loaded: Result, settings: Settings) -> Iterator[Store]:
    store = Store(settings.database_url)
    yield store
    store.dispose()


def test_the_demo_appends_its_whole_scenario_and_prints_each_party_once(loaded, store, settings):
    with store.read() as tx:
        assert tx.head().size == DEMO_ENTRIES
    assert f"demo loaded: {DEMO_ENTRIES} entries, 6 parties, 16 lots" in loaded.stdout
    assert sorted(path.name for path in (settings.home / "keys").iterdir()) == sorted(f"{p[0]}.pem" for p in PARTIES)
    for party_id, *_ in PARTIES:
        key_file = settings.home / "keys" / f"{party_id}.pem"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert f"  {party_id} " in loaded.stdout and str(key_file) in loaded.stdout
    assert loaded.stdout.count("token slt_") == len(PARTIES)


def test_exactly_one_receipt_is_flagged_as_a_discrepancy_and_one_delivery_is_rejected(store):
    with store.read() as tx:
        lots = tx.lots(LotFilter(), None, 1000)
        transfers = tx.transfers_of([lot.lot_id for lot in lots])
    flagged = [t for t in transfers if t.discrepancy]
    assert [(t.declared_g, t.weighed_g) for t in flagged] == [(12_200_000, 11_940_000)]
    assert [t.sender for t in transfers if t.status == "rejected"] == ["antwerp-shredding"]
    assert len(transfers) == 8


def test_the_melt_makes_ingots_with_a_primary_share_and_origins_from_two_countries(store):
    with store.read() as tx:
        (ingots,) = [lot for lot in tx.lots(LotFilter(), None, 1000) if lot.origin_kind == "melt"]
    assert ingots.mass_g == 13_150_000
    assert 0 < ingots.composition["primary"] < ingots.mass_g
    assert set(ingots.origins) == {"DE", "BE"}


def test_the_demo_ledger_verifies(store, settings):
    log = Log(store, Signer.load(settings.log_key_file), settings.origin)
    assert verify_store(store, log.verifier).size == DEMO_ENTRIES


def test_a_second_demo_is_a_no_op(loaded, env, store):
    again = CliRunner().invoke(main, ["demo"], env=env)
    assert again.exit_code == 0
    assert f"demo skipped: the ledger holds {DEMO_ENTRIES} entries" in again.stdout
    with store.read() as tx:
        assert tx.head().size == DEMO_ENTRIES


def test_demo_before_init_asks_for_init(env):
    result = CliRunner().invoke(main, ["demo"], env=env)
    assert result.exit_code == 1
    assert "run scrapledger init" in result.stderr

