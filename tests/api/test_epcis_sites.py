"""The holder's site through EPCIS: an entry's `site` exported as its bizLocation, and imported from it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from api.importing.epcis_run import EpcisImport
from api.importing.run import ALREADY, IMPORTED
from ledger import epcis
from tests.api.test_epcis_import import (GLN_PARTIES, demo_document, document_of, import_as_every_party,  # noqa: F401
                                         members, own_registrations)
from tests.conftest import ORIGIN
from tests.epcis_checks import schema_errors
from tests.factories import dispatch_body, lot_body, receipt_body

SGLN = "urn:epc:id:sgln:4012345.00001.0"


@pytest.fixture
def recycler(make_party):
    return make_party("rotterdam-metals", roles=("recycler",))


@pytest.fixture
def smelter(make_party):
    return make_party("ijmuiden-steel", roles=("smelter",))


def delivered(recycler, smelter, **receipt):
    """Register a lot, send it to the smelter and weigh it in there; return the lot id."""
    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    transfer = recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch",
                               dispatch_body(lot, "ijmuiden-steel"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", {**receipt_body(transfer), **receipt})
    return lot


def receiving_event(party, lot):
    document = party.get(f"/v1/lots/{lot}/epcis")
    return document, next(event for event in document["epcisBody"]["eventList"] if event["bizStep"] == "receiving")


def test_an_exported_receipt_that_named_its_site_is_at_that_biz_location_and_valid(recycler, smelter):
    document, receiving = receiving_event(smelter, delivered(recycler, smelter, site=SGLN))
    assert receiving["bizLocation"] == {"id": SGLN}
    assert schema_errors(document) == []


def test_an_exported_receipt_that_named_no_site_has_no_biz_location_though_the_ledger_placed_the_lot(
        recycler, smelter):
    smelter.submit("/v1/mass-balance/accounts", "claim.open_account", {
        "site": "IJmuiden scrap bay 3", "material_family": "ferrous", "characteristic": "recycled",
        "model": "mass_balance", "period": "quarter", "carry_forward": False})
    lot = delivered(recycler, smelter)
    assert smelter.get(f"/v1/lots/{lot}")["site"] == "IJmuiden scrap bay 3"
    assert "bizLocation" not in receiving_event(smelter, lot)[1]


def test_an_exported_registration_names_its_site_label_as_a_biz_location_under_its_holder_not_in_its_ilmd(
        recycler):
    lot = recycler.submit("/v1/lots", "lot.register", lot_body(site="Waalhaven Zuid yard"))["result"]["lot_id"]
    (registration,) = recycler.get(f"/v1/lots/{lot}/epcis")["epcisBody"]["eventList"]
    assert registration["bizLocation"] == {
        "id": f"https://{ORIGIN}/parties/rotterdam-metals/sites/Waalhaven%20Zuid%20yard"}
    assert "sl:site" not in registration["ilmd"]


def test_a_biz_location_id_longer_than_the_ledger_takes_refuses_its_event_naming_it(members, demo_document):
    (registration,) = own_registrations(demo_document)[:1]
    located = {**registration, "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001." + "9" * 35}}
    (outcome,) = EpcisImport(members["rotterdam-metals"], document_of(demo_document, [located]),
                             parties=GLN_PARTIES).outcomes()
    assert (outcome.status, outcome.field) == ("refused", "bizLocation.id")
    assert outcome.rule == "must be at most 64 characters (body.site)"


HAMBURG = "https://id.gs1.org/417/4001234000008"  # hamburg-copper's GLN


def at_sites(document):
    """`document` with a registration, a receipt and the melt at sites, named by SGLN, label and Digital Link."""
    events = list(document["epcisBody"]["eventList"])
    sites = {
        "commissioning": SGLN,
        "receiving": f"https://{ORIGIN}/parties/hamburg-copper/sites/Hamburg%20Peute%20refinery",
        f"{epcis.TRANSFORMATION_STEP}melt": "https://id.gs1.org/414/4012345000016/254/1",
    }
    for step, site in sites.items():
        position = next(number for number, event in enumerate(events) if event["bizStep"] == step
                        and (step != "receiving" or event["destinationList"][-1]["destination"] == HAMBURG))
        events[position] = {**events[position], "bizLocation": {"id": site}}
    return document_of(document, events)


def test_the_sites_of_imported_events_are_exported_again_as_the_same_biz_locations(app, members, demo_document):
    events = at_sites(demo_document)["epcisBody"]["eventList"]
    outcomes = import_as_every_party(members, document_of(demo_document, events))
    assert {outcome.status for outcome in outcomes.values()} <= {IMPORTED, ALREADY}
    out = io.StringIO()
    epcis.export_events(app.extensions["scrapledger"].log, out, datetime.now(UTC))
    again = {event["sl:ledgerEntry"]["sl:index"]: event
             for event in json.loads(out.getvalue(), parse_float=Decimal)["epcisBody"]["eventList"]}
    assert [event.get("bizLocation") for event in events] == [
        again[outcomes[number].index].get("bizLocation") for number in range(1, len(events) + 1)]
    assert sum("bizLocation" in event for event in again.values()) == 3
