"""`scrapledger import lots`: a yard's weighbridge export in, every good row once, every bad one named."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.importing.mapping import Mapping
from api.importing.run import Importer

from tests.api.test_client_cli import scrapledger  # noqa: F401  (the CLI against the Flask test client)
from tests.yard_files import BAD_ROWS, expected_kg, read_csv, write_mapping, write_yard_export


@pytest.fixture
def yard(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


@pytest.fixture
def importing(scrapledger, tmp_path, monkeypatch):  # noqa: F811
    """Return `run(party, file, *options)`: `scrapledger import lots FILE --map the yard's mapping`."""
    monkeypatch.setenv("SCRAPLEDGER_STATE_DIR", str(tmp_path / "state"))
    mapping = write_mapping(tmp_path / "yard-mapping.toml")

    def run(party, file: Path, *options: str, kind: str = "lots", map_file: Path = mapping):
        return scrapledger(party, "import", kind, str(file), "--map", str(map_file), *options)

    return run


def log_size(party) -> int:
    return int(party.get("/v1/checkpoint").splitlines()[1])


def test_a_windows_1252_export_with_decimal_commas_in_tonnes_lands_in_kilograms(yard, importing, tmp_path):
    export = tmp_path / "weegbrug-november.csv"
    write_yard_export(export, 12, encoding="cp1252")
    result = importing(yard, export)
    assert result.exit_code == 0, result.output
    assert "12 rows: 12 imported, 0 already imported, 0 refused." in result.stdout
    rows = read_csv(tmp_path / "weegbrug-november.result.csv")
    assert [row["status"] for row in rows] == ["imported"] * 12
    lot = yard.get(f"/v1/lots/{rows[3]['lot_id']}")
    assert lot["mass_kg"] == expected_kg(3)
    assert lot["attributes"]["grade"] == {"scheme": "ISRI", "code": "Berry"}
    assert lot["attributes"]["origin"]["site"] == "Zaandam – Hemhavens"  # an en dash, from Windows-1252
    assert yard.get(f"/v1/lots/{rows[0]['lot_id']}")["attributes"]["grade"]["code"] == "HMS 1&2"  # translated


def test_each_row_is_reported_with_its_lot_id_and_entry_index(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 3)
    importing(yard, export)
    rows = read_csv(tmp_path / "weegbrug.result.csv")
    assert [row["row"] for row in rows] == ["2", "3", "4"]
    for row in rows:
        assert row["lot_id"] == f"lot-{row['entry_index']}"
        assert yard.get(f"/v1/lots/{row['lot_id']}")["attributes"]["reference"].startswith("RTM-2026-")


def test_a_dry_run_appends_nothing_and_reports_every_bad_row(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    bad = write_yard_export(export, 40, bad_every=4)
    before = log_size(yard)
    result = importing(yard, export, "--dry-run")
    assert result.exit_code == 1
    assert "40 rows checked: 30 valid, 0 already imported, 10 with problems. Nothing was appended." in result.stdout
    assert log_size(yard) == before
    assert sorted(int(line["row"]) for line in read_csv(tmp_path / "weegbrug.errors.csv")) == sorted(bad)
    assert not (tmp_path / "weegbrug.result.csv").exists()


@pytest.mark.parametrize("kind", BAD_ROWS)
def test_each_kind_of_bad_row_is_named_by_row_column_and_rule(yard, importing, tmp_path, kind):
    export = tmp_path / "weegbrug.csv"
    bad = write_yard_export(export, 40, bad_every=4)
    row = next(number for number, bad_kind in bad.items() if bad_kind == kind)
    result = importing(yard, export, "--dry-run")
    column, value, field, rule = BAD_ROWS[kind]
    [problem] = [line for line in read_csv(tmp_path / "weegbrug.errors.csv") if line["row"] == str(row)]
    assert (problem["column"], problem["value"], problem["field"]) == (column, value, field)
    assert rule in problem["rule"]
    assert f"row {row}, column {column!r}" in result.stderr


def test_invalid_rows_are_refused_and_the_rest_imported(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    bad = write_yard_export(export, 20, bad_every=5)
    result = importing(yard, export)
    assert result.exit_code == 1
    assert "20 rows: 16 imported, 0 already imported, 4 refused." in result.stdout
    statuses = {int(row["row"]): row["status"] for row in read_csv(tmp_path / "weegbrug.result.csv")}
    assert {number for number, status in statuses.items() if status == "refused"} == set(bad)


def test_the_refused_rows_are_written_as_they_were_to_fix_and_import_alone(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 10, bad_every=5)
    importing(yard, export)
    rejected = read_csv(tmp_path / "weegbrug.rejected.csv")
    assert [row["Ticket"] for row in rejected] == ["RTM-2026-00004", "RTM-2026-00009"]
    assert rejected[0]["Netto (t)"] == "24,38O"
    fixed = tmp_path / "weegbrug-fixed.csv"
    fixed.write_text((tmp_path / "weegbrug.rejected.csv").read_text(encoding="utf-8-sig")
                     .replace("24,38O", "24,38").replace("-2,5", "2,5"), encoding="utf-8")
    again = importing(yard, fixed)
    assert "2 rows: 2 imported" in again.stdout


def test_running_the_same_import_again_appends_nothing_and_names_the_lots(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 30, bad_every=10)
    importing(yard, export, "--batch-size", "7")
    first = read_csv(tmp_path / "weegbrug.result.csv")
    size = log_size(yard)
    again = importing(yard, export)
    assert "30 rows: 0 imported, 27 already imported, 3 refused." in again.stdout
    assert log_size(yard) == size
    second = read_csv(tmp_path / "weegbrug.result.csv")
    assert [row["lot_id"] for row in second] == [row["lot_id"] for row in first]


def test_all_or_nothing_appends_nothing_when_one_row_is_bad(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 25, bad_every=25)
    before = log_size(yard)
    result = importing(yard, export, "--all-or-nothing")
    assert result.exit_code == 1
    assert "nothing was appended" in result.stderr
    assert log_size(yard) == before


def test_all_or_nothing_imports_a_clean_file(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 25)
    result = importing(yard, export, "--all-or-nothing")
    assert result.exit_code == 0, result.output
    assert "25 rows: 25 imported" in result.stdout


def test_a_comma_separated_utf8_file_with_decimal_points_reads_the_same(yard, importing, tmp_path):
    export = tmp_path / "erp.csv"
    export.write_text("Ticket,Soort,Materiaal,EURAL,GN-code,Herkomst,Bron,Land,Locatie,Netto (t),Weegbon\n"
                      'RTM-1,Zorba,mixed_non_ferrous,19 10 02,7602,post_consumer,elv,BE,"Antwerpen, kaai 526",'
                      "8.2005,WB-1\n", encoding="utf-8")
    mapping = write_mapping(tmp_path / "erp.toml", (tmp_path / "yard-mapping.toml").read_text()
                            .replace('delimiter = ";"\ndecimal = ","', 'decimal = "."'))
    result = importing(yard, export, map_file=mapping)
    assert result.exit_code == 0, result.output
    lot = read_csv(tmp_path / "erp.result.csv")[0]["lot_id"]
    assert yard.get(f"/v1/lots/{lot}")["mass_kg"] == "8200.500"
    assert yard.get(f"/v1/lots/{lot}")["attributes"]["origin"]["site"] == "Antwerpen, kaai 526"


def test_an_excel_sheet_is_read_with_its_numbers_exact(yard, importing, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Ticket", "Soort", "Materiaal", "EURAL", "GN-code", "Herkomst", "Bron", "Land", "Locatie",
                  "Netto (t)", "Weegbon"])
    sheet.append(["RTM-X1", "Berry", "copper", "17 04 01", 740400, "pre_consumer", "cable", "DE", "Duisburg",
                  5.0005, "WB-9"])
    sheet.append(["RTM-X2", "HMS1/2", "ferrous", "17 04 05", 720449, "post_consumer", "elv", "NL", "Moerdijk",
                  24, "WB-10"])
    export = tmp_path / "erp-export.xlsx"
    workbook.save(export)
    result = importing(yard, export)
    assert result.exit_code == 0, result.output
    lots = [yard.get(f"/v1/lots/{row['lot_id']}") for row in read_csv(tmp_path / "erp-export.result.csv")]
    assert [lot["mass_kg"] for lot in lots] == ["5000.500", "24000.000"]
    assert lots[0]["attributes"]["hs_code"] == "740400"


def test_a_mapping_naming_a_column_the_file_lacks_is_refused_before_any_row(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 3)
    mapping = write_mapping(tmp_path / "bad.toml", (tmp_path / "yard-mapping.toml").read_text()
                            .replace('"Netto (t)"', '"Netto kg"', 1))
    result = importing(yard, export, map_file=mapping)
    assert result.exit_code == 1
    assert "[columns] net_mass_kg = 'Netto kg', but the file's header has no such column" in result.stderr


def test_a_mapping_naming_an_unknown_field_says_which_fields_there_are(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 3)
    mapping = write_mapping(tmp_path / "bad.toml", '[columns]\nnett_mass = "Netto (t)"\n')
    result = importing(yard, export, map_file=mapping)
    assert result.exit_code == 1
    assert "[columns] nett_mass: not a field of lot.register" in result.stderr


def test_the_template_and_its_mapping_pass_a_dry_run(yard, scrapledger, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    assert scrapledger(yard, "import", "template", "lots").exit_code == 0
    result = scrapledger(yard, "import", "lots", "lots-template.csv", "--map", "lots-mapping.toml", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "2 rows checked: 2 valid" in result.stdout


def test_a_journalled_row_that_never_landed_is_signed_again_when_its_timestamp_has_gone_stale(yard, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 5)
    mapping = Mapping.load(write_mapping(tmp_path / "m.toml"), "lots")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    late = Importer(yard, mapping, export, state_dir=tmp_path / "state", clock=lambda: an_hour_ago)
    assert {o.status for batch in late.batches() for o in batch} == {"refused"}  # the clock was wrong
    again = Importer(yard, mapping, export, state_dir=tmp_path / "state")
    assert [o.status for batch in again.batches() for o in batch] == ["imported"] * 5


def test_without_its_journal_a_second_run_doubles_nothing_and_names_the_lots(yard, importing, tmp_path):
    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 4)
    importing(yard, export)
    size = log_size(yard)
    shutil.rmtree(tmp_path / "state")
    again = importing(yard, export)
    assert "4 rows: 0 imported, 4 already imported, 0 refused." in again.stdout
    assert log_size(yard) == size
    assert [row["lot_id"] for row in read_csv(tmp_path / "weegbrug.result.csv")] == [
        f"lot-{size - 4 + n}" for n in range(4)]


def test_an_import_cut_off_by_the_network_says_so_and_a_second_run_finishes_it(
        yard, importing, tmp_path, client, monkeypatch):
    from tests.conftest import test_client_transport

    export = tmp_path / "weegbrug.csv"
    write_yard_export(export, 40)
    posts = [0]

    def flaky(base_url, timeout=30.0):
        send = test_client_transport(client)

        def cut_after_two_batches(method, path, body, headers):
            if path == "/v1/batches":
                posts[0] += 1
                if posts[0] > 2:
                    raise ConnectionResetError("connection reset by peer")
            return send(method, path, body, headers)

        return cut_after_two_batches

    monkeypatch.setattr("api.client.http_transport", flaky)
    monkeypatch.setattr("api.client.time.sleep", lambda seconds: None)
    cut = importing(yard, export, "--batch-size", "10")
    assert cut.exit_code == 1
    assert "the server stopped answering" in cut.stderr and "run the same command again" in cut.stderr
    landed = log_size(yard)
    monkeypatch.setattr("api.client.http_transport", lambda base_url, timeout=30.0: test_client_transport(client))
    again = importing(yard, export, "--batch-size", "10")
    assert "40 rows: 20 imported, 20 already imported, 0 refused." in again.stdout
    assert log_size(yard) == landed + 20
