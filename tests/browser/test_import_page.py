"""A clerk imports a weighbridge export in the browser: upload, dry run with problems by row, sign, results."""

from __future__ import annotations

from tests.browser.test_journeys import key_file, load_key, log_size, signed_in  # noqa: F401  (fixture)
from tests.yard_files import write_mapping, write_yard_export


def test_a_clerk_uploads_checks_and_signs_an_export_in_the_browser(page, live_server, app, make_party, key_file,  # noqa: F811
                                                                    tmp_path):
    clerk = make_party("rotterdam-metals")
    export = tmp_path / "weegbrug-november.csv"
    write_yard_export(export, 30, bad_every=10, encoding="cp1252")
    mapping = write_mapping(tmp_path / "weegbrug.toml")
    signed_in(page, live_server, clerk)
    page.click("nav >> text=Import")
    page.select_option("#f-kind", "lots")
    page.set_input_files("#f-file", str(export))
    page.set_input_files("#f-mapping", str(mapping))
    page.click("text=Upload and read")
    page.wait_for_selector("text=30 rows read from the file")
    assert "Rows the import cannot read (1)" in page.content()  # row 11: 24,38O
    load_key(page, key_file(clerk))
    before = log_size(app)

    page.click("#import-check")
    page.wait_for_function("document.getElementById('import-summary').textContent.includes('Nothing was appended')")
    assert page.inner_text("#import-summary") == ("29 rows checked: 27 valid, 0 already imported, "
                                                  "2 with problems. Nothing was appended.")
    problems = page.inner_text("#import-problems tbody")
    assert "21\tNetto (t)\t-2,5" in problems and "31\tNetto (t)\t1,0000005" in problems
    assert log_size(app) == before
    page.screenshot(path=str(tmp_path / "checked.png"))

    page.click("#import-sign")
    page.wait_for_function("document.getElementById('import-summary').textContent.includes('refused.')")
    assert page.inner_text("#import-summary") == "29 rows: 27 imported, 0 already imported, 2 refused."
    assert log_size(app) == before + 27
    first = page.locator("#import-results tbody tr").first
    lot_id = first.locator("a").inner_text()
    assert clerk.get(f"/v1/lots/{lot_id}")["attributes"]["reference"] == "RTM-2026-00000"
    with page.expect_download() as download:
        page.click("#import-download")
    assert download.value.path().read_text(encoding="utf-8-sig").splitlines()[1].startswith("2;imported;")

    page.click("#import-sign")  # again: nothing doubles
    page.wait_for_function("document.getElementById('import-summary').textContent.includes('27 already imported')")
    assert log_size(app) == before + 27
