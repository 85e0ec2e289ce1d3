"""The import page: upload a file and its mapping, read it, check and import rows signed by the party."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from tests.api.test_pages_sessions import page_csrf, sign_in
from tests.yard_files import MAPPING, write_yard_export


@pytest.fixture
def yard(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


@pytest.fixture
def desk(client, yard):
    sign_in(client, yard.token)
    return client


def upload(client: Any, csv_bytes: bytes, mapping: str = MAPPING, kind: str = "lots", name: str = "weegbrug.csv"):
    return client.post("/imports", data={
        "csrf_token": page_csrf(client, "/imports"), "kind": kind,
        "file": (io.BytesIO(csv_bytes), name), "mapping": (io.BytesIO(mapping.encode()), "mapping.toml")},
        content_type="multipart/form-data")


def yard_file(tmp_path, count: int, bad_every: int = 0) -> bytes:
    path = tmp_path / "weegbrug.csv"
    write_yard_export(path, count, bad_every=bad_every, encoding="cp1252")
    return path.read_bytes()


def ready_rows(page: str) -> list[dict[str, Any]]:
    import json

    return json.loads(re.search(r'<script type="application/json" id="import-rows">(.*?)</script>', page, re.S)[1])


def signed_batch(yard, rows, **options):
    items = [yard.signed("lot.register", row["body"], row["submission_id"]) for row in rows]
    return {"items": items, **options}


def post_batch(client, upload_id, payload):
    return client.post(f"/pages/imports/{upload_id}/batches", json=payload,
                       headers={"X-CSRF-Token": page_csrf(client, "/imports")})


def test_an_upload_is_read_and_its_rows_shown_ready_to_sign(desk, tmp_path):
    answer = upload(desk, yard_file(tmp_path, 12))
    assert answer.status_code == 303
    page = desk.get(answer.headers["Location"]).get_data(as_text=True)
    assert "12 rows read from the file" in page and "cp1252" in page
    rows = ready_rows(page)
    assert [row["row"] for row in rows] == list(range(2, 14))
    assert rows[0]["body"]["net_mass_kg"] == "12000" and rows[0]["body"]["grade"]["code"] == "HMS 1&2"


def test_rows_the_import_cannot_read_are_listed_by_row_and_column_without_javascript(desk, tmp_path):
    page = desk.get(upload(desk, yard_file(tmp_path, 10, bad_every=10)).headers["Location"]).get_data(as_text=True)
    assert "Rows the import cannot read (1)" in page
    assert "<td>11</td><td>Netto (t)</td><td><code>24,38O</code></td>" in page


def test_a_bad_mapping_is_refused_beside_its_field_and_nothing_kept(desk, tmp_path):
    answer = upload(desk, yard_file(tmp_path, 3), mapping='[columns]\nnett_mass = "Netto (t)"\n')
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="error-mapping"' in page and "nett_mass: not a field of lot.register" in page


def test_a_file_of_another_format_is_refused_beside_the_file_field(desk):
    answer = upload(desk, b"%PDF-1.7", name="weegbon.pdf")
    assert answer.status_code == 422
    assert 'id="error-file"' in answer.get_data(as_text=True)


def test_a_dry_run_places_each_problem_by_row_and_column_and_appends_nothing(desk, yard, tmp_path):
    upload_id = upload(desk, yard_file(tmp_path, 20, bad_every=4)).headers["Location"].rsplit("/", 1)[1]
    rows = ready_rows(desk.get(f"/imports/{upload_id}").get_data(as_text=True))
    before = yard.get("/v1/checkpoint").splitlines()[1]
    answer = post_batch(desk, upload_id, signed_batch(yard, rows, dry_run=True)).get_json()
    assert answer["appended"] is False
    refused = [row for row in answer["rows"] if row["status"] == "refused"]
    assert [(row["row"], row["problems"][0]["column"]) for row in refused] == [
        (9, "Netto (t)"), (13, "Netto (t)"), (17, "Netto (t)"), (21, "Soort")]
    assert yard.get("/v1/checkpoint").splitlines()[1] == before


def test_signed_rows_are_imported_once_under_the_clis_submission_ids(desk, yard, tmp_path):
    upload_id = upload(desk, yard_file(tmp_path, 6)).headers["Location"].rsplit("/", 1)[1]
    rows = ready_rows(desk.get(f"/imports/{upload_id}").get_data(as_text=True))
    assert rows[0]["submission_id"] == f"imp-{upload_id}-lots-2"
    first = post_batch(desk, upload_id, signed_batch(yard, rows)).get_json()
    assert [row["status"] for row in first["rows"]] == ["imported"] * 6
    assert yard.get(f"/v1/lots/{first['rows'][0]['result']['lot_id']}")["mass_kg"] == "12000.000"
    again = post_batch(desk, upload_id, signed_batch(yard, rows)).get_json()
    assert [(row["status"], row["result"]) for row in again["rows"]] == [
        ("already imported", row["result"]) for row in first["rows"]]


def test_a_batch_naming_a_row_of_another_file_is_refused(desk, yard, tmp_path):
    upload_id = upload(desk, yard_file(tmp_path, 2)).headers["Location"].rsplit("/", 1)[1]
    stray = {"items": [yard.signed("lot.register", {"net_mass_kg": "1"}, "imp-0000-2")]}
    answer = post_batch(desk, upload_id, stray)
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "items[0].submission.submission_id"


def test_another_partys_upload_is_not_found(desk, app, make_party, tmp_path):
    upload_id = upload(desk, yard_file(tmp_path, 2)).headers["Location"].rsplit("/", 1)[1]
    other = app.test_client()
    sign_in(other, make_party("antwerp-shredder", roles=("recycler",)).token)
    assert other.get(f"/imports/{upload_id}").status_code == 404
