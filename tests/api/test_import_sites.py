"""The holder's own site through `scrapledger import`: a Stock site or Receiving site column, or none."""

from __future__ import annotations

import csv
import tomllib

import pytest

from api.importing.mapping import KINDS, Mapping
from api.importing.sources import Row
from api.importing.templates import TEMPLATES
from ledger import claims

from tests.api.test_client_cli import scrapledger  # noqa: F401  (the CLI against the Flask test client)
from tests.api.test_import_custody import smelter, yard  # noqa: F401  (fixtures)
from tests.factories import dispatch_body, lot_body
from tests.yard_files import HEADER, MAPPING, good_row, read_csv, write_mapping

MOERDIJK, WAALHAVEN = "Moerdijk haven", "Rotterdam Waalhaven"
IJMUIDEN, VELSEN = "IJmuiden scrap yard", "Velsen-Noord wharf"
LOTS_MAPPING = MAPPING.replace('weighbridge_ticket = "Weegbon"\n', 'weighbridge_ticket = "Weegbon"\nsite = "Opslag"\n')
RECEIPT_MAPPING = '''
[columns]
transfer_id = "Transfer"
weighed_mass_kg = "Gewogen (kg)"
site = "Ontvangstlocatie"
"inspection.conformant" = "Conform"
"inspection.radiation_check_passed" = "Straling OK"
'''


@pytest.fixture
def importing(scrapledger, tmp_path, monkeypatch):  # noqa: F811
    """Return `run(party, kind, file, mapping)`: the import's outcome and its result and error reports."""
    monkeypatch.setenv("SCRAPLEDGER_STATE_DIR", str(tmp_path / "state"))

    def run(party, kind, file, mapping, *options):
        map_file = write_mapping(tmp_path / f"{kind}.toml", mapping)
        result = scrapledger(party, "import", kind, str(file), "--map", str(map_file), *options)
        return result, lambda report: read_csv(file.with_name(f"{file.stem}.{report}.csv"))

    return run


@pytest.fixture
def site_of(app):
    """Return `site_of(lot_id)`: the site the ledger keeps the lot at."""

    def site(lot_id):
        with app.extensions["scrapledger"].store.read() as tx:
            return tx.lot(lot_id).site

    return site


def yard_export(path, sites):
    """Write the yard's weighbridge export with an Opslag (stock site) column, one row per site given."""
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow((*HEADER, "Opslag"))
        for n, site in enumerate(sites):
            row = good_row(n)
            writer.writerow((*(row[column] for column in HEADER), site))
    return path


def ticket_file(path, tickets):
    """Write a smelter's weighbridge ticket file: (transfer id, receiving site) per row, conformant at 24,360 kg."""
    path.write_text("Transfer,Gewogen (kg),Ontvangstlocatie,Conform,Straling OK\n"
                    + "".join(f"{transfer},24360,{site},ja,ja\n" for transfer, site in tickets), encoding="utf-8")
    return path


def dispatched(yard, count):
    """Register and dispatch `count` HMS lots to the smelter; return each lot id and its transfer id."""
    lots = [yard.submit("/v1/lots", "lot.register", lot_body(reference=f"RTM-{n}"))["result"]["lot_id"]
            for n in range(count)]
    return [(lot, yard.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch", dispatch_body(lot, "ijmuiden-steel"))
             ["result"]["transfer_id"]) for lot in lots]


def open_accounts(smelter, *sites):
    for site in sites:
        smelter.submit("/v1/mass-balance/accounts", claims.OPEN, {
            "site": site, "material_family": "ferrous", "characteristic": "recycled", "model": "mass_balance",
            "period": "month", "carry_forward": False})


def test_a_registration_row_with_a_stock_site_registers_the_lot_at_that_site(yard, importing, site_of, tmp_path):
    result, report = importing(yard, "lots", yard_export(tmp_path / "weegbrug.csv", [MOERDIJK, WAALHAVEN]),
                               LOTS_MAPPING)
    assert result.exit_code == 0, result.output
    assert [site_of(row["lot_id"]) for row in report("result")] == [MOERDIJK, WAALHAVEN]


def test_a_registration_row_with_an_empty_stock_site_leaves_the_site_to_the_ledger(
        yard, importing, site_of, tmp_path):
    result, report = importing(yard, "lots", yard_export(tmp_path / "weegbrug.csv", [""]), LOTS_MAPPING)
    assert result.exit_code == 0, result.output
    assert site_of(report("result")[0]["lot_id"]) is None  # the yard keeps no mass-balance account


def test_a_stock_site_is_read_without_the_spaces_around_it_like_every_text_cell():
    mapping = Mapping.from_document({"columns": {"site": "Opslag"}}, KINDS["lots"])
    assert mapping.body(Row(2, {"Opslag": "  Moerdijk haven "}), ",") == ({"site": MOERDIJK}, [])


def test_a_stock_site_longer_than_64_characters_is_named_by_row_column_and_rule(yard, importing, tmp_path):
    too_long = "Moerdijk haven, Middenweg 12, terrein B, overdekte opslag non-ferro"
    result, report = importing(yard, "lots", yard_export(tmp_path / "weegbrug.csv", [MOERDIJK, too_long]),
                               LOTS_MAPPING, "--dry-run")
    assert result.exit_code == 1
    [problem] = report("errors")
    assert (problem["row"], problem["column"], problem["value"], problem["field"]) == ("3", "Opslag", too_long, "site")
    assert "64" in problem["rule"]
    assert f"row 3, column 'Opslag', value {too_long!r}" in result.stderr


def test_a_receipt_row_with_a_receiving_site_puts_the_lot_at_that_site(yard, smelter, importing, site_of, tmp_path):
    (first, to_ijmuiden), (second, to_velsen) = dispatched(yard, 2)
    open_accounts(smelter, IJMUIDEN, VELSEN)
    tickets = ticket_file(tmp_path / "weegbonnen.csv", [(to_ijmuiden, IJMUIDEN), (to_velsen, VELSEN)])
    result, _ = importing(smelter, "receipts", tickets, RECEIPT_MAPPING)
    assert result.exit_code == 0, result.output
    assert (site_of(first), site_of(second)) == (IJMUIDEN, VELSEN)


def test_a_receipt_with_no_receiving_site_where_the_smelter_keeps_two_is_refused_naming_the_column(
        yard, smelter, importing, tmp_path):
    [(_, transfer)] = dispatched(yard, 1)
    open_accounts(smelter, IJMUIDEN, VELSEN)
    result, report = importing(smelter, "receipts", ticket_file(tmp_path / "weegbonnen.csv", [(transfer, "")]),
                               RECEIPT_MAPPING)
    assert result.exit_code == 1
    [problem] = report("errors")
    assert (problem["row"], problem["column"], problem["value"], problem["field"]) == (
        "2", "Ontvangstlocatie", "", "site")
    assert "is required" in problem["rule"] and IJMUIDEN in problem["detail"] and VELSEN in problem["detail"]


def test_the_receipt_template_maps_its_receiving_site_column_to_the_site():
    rows, mapping = TEMPLATES["receipts"]
    header, ticket = (line.split(";") for line in rows.splitlines())
    body, _ = Mapping.from_document(tomllib.loads(mapping), KINDS["receipts"]).body(
        Row(2, dict(zip(header, ticket, strict=True))), ",")
    assert body["site"] == IJMUIDEN
