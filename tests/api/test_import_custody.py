"""`scrapledger import dispatches` and `import receipts`: custody from the ERP and the weighbridge ticket file."""

from __future__ import annotations

import pytest

from tests.api.test_client_cli import scrapledger  # noqa: F401  (the CLI against the Flask test client)
from tests.factories import dispatch_body, lot_body
from tests.yard_files import read_csv, write_mapping

DISPATCH_MAPPING = '''
[columns]
lot_id = "Partij"
to_party = "Afnemer"
declared_mass_kg = "Gewicht (kg)"
transport_reference = "CMR"
transfers_ownership = "Verkocht"
'''

RECEIPT_MAPPING = '''
[file]
decimal = ","

[columns]
transfer_id = "Transfer"
weighed_mass_kg = "Gewogen (t)"
"inspection.conformant" = "Conform"
"inspection.radiation_check_passed" = "Straling OK"
"inspection.notes" = "Opmerking"

[units]
weighed_mass_kg = "t"
'''


@pytest.fixture
def yard(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


@pytest.fixture
def smelter(make_party):
    return make_party("ijmuiden-steel", roles=("smelter",))


@pytest.fixture
def importing(scrapledger, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SCRAPLEDGER_STATE_DIR", str(tmp_path / "state"))

    def run(party, kind, name, text, mapping):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        map_file = write_mapping(tmp_path / f"{kind}.toml", mapping)
        return scrapledger(party, "import", kind, str(path), "--map", str(map_file)), read_result(path)

    def read_result(path):
        return lambda: read_csv(path.with_name(f"{path.stem}.result.csv"))

    return run


def registered(yard, count):
    return [yard.submit("/v1/lots", "lot.register", lot_body(reference=f"RTM-{n}"))["result"]["lot_id"]
            for n in range(count)]


def test_a_dispatch_file_opens_a_transfer_per_row_and_reports_its_id(yard, smelter, importing):
    lots = registered(yard, 2)
    rows = "".join(f"{lot},ijmuiden-steel,24380,CMR 2026-{n},{flag}\n" for n, (lot, flag) in
                   enumerate(zip(lots, ("ja", "nee"), strict=True)))
    result, results = importing(yard, "dispatches", "verzending.csv",
                                "Partij,Afnemer,Gewicht (kg),CMR,Verkocht\n" + rows, DISPATCH_MAPPING)
    assert result.exit_code == 0, result.output
    reported = results()
    assert [row["lot_id"] for row in reported] == lots
    transfer = smelter.get(f"/v1/lots/{lots[1]}")["open_transfer"]
    assert transfer["transfer_id"] == reported[1]["transfer_id"]
    assert transfer["transfers_ownership"] is False


def test_a_dispatch_of_a_lot_not_held_is_refused_naming_the_lot_column(yard, smelter, importing):
    [lot] = registered(yard, 1)
    result, results = importing(yard, "dispatches", "verzending.csv",
                                "Partij,Afnemer,Gewicht (kg),CMR,Verkocht\n"
                                f"{lot},ijmuiden-steel,24380,CMR 1,ja\nlot-999999,ijmuiden-steel,100,CMR 2,ja\n",
                                DISPATCH_MAPPING)
    assert result.exit_code == 1
    assert [row["status"] for row in results()] == ["imported", "refused"]
    assert "row 3, column 'Partij', value 'lot-999999'" in result.stderr


def test_a_ticket_file_receives_open_transfers_and_names_unknown_and_closed_ones(yard, smelter, importing):
    lots = registered(yard, 3)
    transfers = [yard.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch",
                             dispatch_body(lot, "ijmuiden-steel"))["result"]["transfer_id"] for lot in lots]
    smelter.submit(f"/v1/transfers/{transfers[2]}/receipt", "lot.receive",
                   {"transfer_id": transfers[2], "weighed_mass_kg": "24380",
                    "inspection": {"conformant": True, "radiation_check_passed": True}})
    tickets = ("Transfer;Gewogen (t);Conform;Straling OK;Opmerking\n"
               f"{transfers[0]};24,36;ja;ja;\n"
               f"tr-424242;10;ja;ja;onbekend\n"
               f"{transfers[1]};24,1;nee;ja;te veel kunststof\n"
               f"{transfers[2]};24,38;ja;ja;dubbel gewogen\n")
    result, results = importing(smelter, "receipts", "weegbonnen.csv", tickets, RECEIPT_MAPPING)
    assert result.exit_code == 1
    assert [row["status"] for row in results()] == ["imported", "refused", "imported", "refused"]
    assert "row 3, column 'Transfer', value 'tr-424242'" in result.stderr
    assert f"row 5, column 'Transfer', value '{transfers[2]}'" in result.stderr
    received = smelter.get(f"/v1/lots/{lots[1]}")
    assert received["holder"] == "ijmuiden-steel" and received["mass_kg"] == "24100.000"
    assert received["discrepancy"] is True
