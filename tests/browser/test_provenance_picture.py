"""The provenance picture in Chromium: drawn, a lot node opens that lot, a group node opens in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledger.provenance_graph import FAN_IN
from tests.browser.test_journeys import signed_in
from tests.factories import lot_body, output, transform_body


def click_node(page: Any, node_id: str) -> None:
    """Click a node where Cytoscape drew it on the canvas."""
    spot = page.evaluate("(id) => window.scrapledgerGraph.$id(id).renderedPosition()", node_id)
    box = page.locator("#provenance-graph").bounding_box()
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])


def test_the_picture_is_drawn_and_a_lot_node_opens_that_lot(page, live_server, make_party):
    yard = make_party()
    inputs = [yard.submit("/v1/lots", "lot.register", lot_body(reference=f"RT-{n}"))["result"]["lot_id"]
              for n in range(3)]
    bale = yard.submit("/v1/transformations", "lot.transform",
                       transform_body("bale", inputs, [output("73140")]))["result"]["outputs"][0]
    signed_in(page, live_server, yard)
    page.goto(f"{live_server}/lots/{bale}")
    page.wait_for_selector("#provenance-graph[data-rendered='1']")
    assert page.text_content("#graph-status").startswith("Showing 4 of 4 lots")
    page.locator("#provenance-graph").scroll_into_view_if_needed()
    click_node(page, f"lot:{inputs[1]}")
    page.wait_for_url(f"{live_server}/lots/{inputs[1]}")


def test_a_group_of_many_inputs_opens_in_place_and_is_remembered_in_the_address(page, live_server, make_party):
    yard = make_party()
    inputs = [yard.submit("/v1/lots", "lot.register", lot_body(reference=f"RT-{n}"))
              ["result"]["lot_id"] for n in range(FAN_IN + 1)]
    blend = yard.submit("/v1/transformations", "lot.transform",
                        transform_body("blend", inputs, [output(f"{(FAN_IN + 1) * 24380}")]))["result"]["outputs"][0]
    signed_in(page, live_server, yard)
    page.goto(f"{live_server}/lots/{blend}")
    page.wait_for_selector("#provenance-graph[data-rendered='1']")
    assert page.text_content("#graph-status").startswith(f"Showing 1 of {FAN_IN + 2} lots; 1 group to open")
    group = page.locator(".graph-list [data-open^='inputs:']")
    assert group.text_content().startswith(f"Open: {FAN_IN + 1} input lots")
    group.click()
    page.wait_for_selector("#provenance-graph[data-rendered='2']")
    assert page.text_content("#graph-status").startswith(f"Showing {FAN_IN + 2} of {FAN_IN + 2} lots.")
    assert "#expand=inputs:" in page.url
    page.reload()
    page.wait_for_selector("#provenance-graph[data-rendered='1']")
    assert page.text_content("#graph-status").startswith(f"Showing {FAN_IN + 2} of")


def test_the_lots_history_downloads_as_an_epcis_document_naming_the_lot(page, live_server, make_party):
    yard = make_party()
    lot = yard.submit("/v1/lots", "lot.register", lot_body(reference="RT-EPCIS"))["result"]["lot_id"]
    signed_in(page, live_server, yard)
    page.goto(f"{live_server}/lots/{lot}")
    with page.expect_download() as download:
        page.click("text=EPCIS 2.0 (JSON-LD)")
    assert download.value.suggested_filename == f"{lot}.epcis.jsonld"
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    (event,) = document["epcisBody"]["eventList"]
    assert event["quantityList"][0]["epcClass"].endswith(f"/lots/{lot}")
