"""EPCIS 2.0 in: `scrapledger import epcis`, each party signing its own events, nothing doubled, the rest named."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal
import pytest

from api.client import LedgerClient
from api.demo import GLNS, PARTIES, load_demo
from api.importing.epcis_run import LEFT, NOT_SENT, UNMAPPED, EpcisImport
from api.importing.run import ALREADY, IMPORTED, ImportStopped
from ledger import epcis, gs1
from ledger.config import Settings
from ledger.genesis import initialise, open_log
from ledger.signing import Signer
from ledger.store import Store
from tests.api.test_client_cli import scrapledger  # noqa: F401  (the CLI against the Flask test client)
from tests import conftest
from tests.conftest import ORIGIN, seeded_signer
from tests.epcis_checks import EXAMPLES, example
from tests.yard_files import read_csv

GLN_PARTIES = {gs1.party_uri(gln): party for party, gln in GLNS.items()}
GLN_OPTIONS = [f"{gln}={party}" for party, gln in GLNS.items()]
CANNOT_KEEP = ("eventID", "recordTime", "eventTime", "sl:ledgerEntry")  # ids and times a new ledger makes anew


@pytest.fixture(scope="module")
def demo_document(tmp_path_factory) -> dict:
    """The demo ledger's whole history exported as EPCIS, from a ledger of its own (SQLite)."""
    home = tmp_path_factory.mktemp("source-ledger")
    env = {"DATABASE_URL": f"sqlite:///{home / 'ledger.db'}", "SCRAPLEDGER_HOME": str(home / "var"),
           "SCRAPLEDGER_ORIGIN": ORIGIN}
    settings = Settings.from_env(env)
    done = initialise(settings, operator_id="operator", legal_name="Ledger Operations B.V.",
                      registration_number="NL-KVK-90000001", country="NL", now=datetime.now(UTC))
    store = Store(settings.database_url)
    try:
        log = open_log(settings, store)
        load_demo(log, Signer.load(done.operator_key_file), settings.home / "keys", datetime.now(UTC))
        out = io.StringIO()
        epcis.export_events(log, out, datetime.now(UTC))
    finally:
        store.dispose()
    return json.loads(out.getvalue(), parse_float=Decimal)


@pytest.fixture
def members(client, operator):
    """The demo's parties registered in this (fresh) ledger under the same ids and GLNs, as clients."""
    clients = {}
    for party_id, legal_name, number, country, role in PARTIES:
        signer = seeded_signer(party_id)
        body = {"party_id": party_id, "legal_name": legal_name, "registration_number": number, "country": country,
                "roles": [role], "public_keys": [signer.public_key.hex()]}
        if party_id in GLNS:
            body["gln"] = GLNS[party_id]
        answer = operator.submit("/v1/parties", "party.register", body)
        clients[party_id] = LedgerClient(conftest.test_client_transport(client), party_id=party_id, token=answer["token"],
                                         signer=signer, origin=ORIGIN)
    return clients


def import_as_every_party(members, document, rounds=3):
    """Import the document as each party in turn until a round imports nothing; return event number -> outcome."""
    outcomes = {}
    for _ in range(rounds):
        imported = 0
        for party in members.values():
            for outcome in EpcisImport(party, document, parties=GLN_PARTIES).outcomes():
                if outcome.status != LEFT or outcome.number not in outcomes:
                    outcomes[outcome.number] = outcome
                imported += outcome.status == IMPORTED
        if not imported:
            break
    return outcomes


def renamed(value, names):
    if isinstance(value, dict):
        return {key: renamed(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [renamed(item, names) for item in value]
    return names.get(value, value) if isinstance(value, str) else value


def comparable(event, names=None):
    kept = {key: value for key, value in event.items() if key not in CANNOT_KEEP}
    return json.loads(json.dumps(renamed(kept, names or {}), default=str), parse_float=Decimal)


def made_uris(event):
    """The URIs an event makes: a registration's lot, a dispatch's transfer, a transformation's outputs and id."""
    if event["type"] == "TransformationEvent":
        return [item["epcClass"] for item in event["outputQuantityList"]] + [event["transformationID"]]
    if event.get("bizStep") == "commissioning":
        return [event["quantityList"][0]["epcClass"]]
    if event.get("bizStep") == "shipping":
        return [event["bizTransactionList"][0]["bizTransaction"]]
    return []


def test_the_demo_exported_imported_into_a_fresh_ledger_and_exported_again_gives_the_same_events(
        app, members, demo_document):
    outcomes = import_as_every_party(members, demo_document)
    assert {outcome.status for outcome in outcomes.values()} <= {IMPORTED, ALREADY}, [
        (o.number, o.status, o.field, o.rule) for o in outcomes.values() if o.status not in (IMPORTED, ALREADY)]
    out = io.StringIO()
    epcis.export_events(app.extensions["scrapledger"].log, out, datetime.now(UTC))
    again = {event["sl:ledgerEntry"]["sl:index"]: event
             for event in json.loads(out.getvalue(), parse_float=Decimal)["epcisBody"]["eventList"]}
    pairs = [(event, again[outcomes[number].index])
             for number, event in enumerate(demo_document["epcisBody"]["eventList"], start=1)]
    names = {old: new for before, after in pairs for old, new in zip(made_uris(before), made_uris(after), strict=True)}
    assert [comparable(before, names) for before, _ in pairs] == [comparable(after) for _, after in pairs]
    assert len(again) == len(pairs)


def test_importing_the_same_document_again_appends_nothing(members, demo_document):
    import_as_every_party(members, demo_document)
    size = members["rotterdam-metals"].get("/v1/checkpoint").splitlines()[1]
    again = import_as_every_party(members, demo_document, rounds=1)
    assert {outcome.status for outcome in again.values()} == {ALREADY}
    assert members["rotterdam-metals"].get("/v1/checkpoint").splitlines()[1] == size


def test_an_event_another_party_must_sign_is_left_to_it_and_named(members, demo_document):
    outcomes = list(EpcisImport(members["ijmuiden-steel"], demo_document, parties=GLN_PARTIES).outcomes())
    left = [outcome for outcome in outcomes if outcome.status == LEFT]
    assert left and all(outcome.actor != "ijmuiden-steel" for outcome in left)
    assert "import the document as that party" in left[0].rule


@pytest.mark.parametrize(("name", "field"), [
    ("Example_9.6.1-ObjectEvent.jsonld", "epcList"),
    ("Example_9.6.3-AggregationEvent.jsonld", "type"),
    ("object_event_all_possible_fields.jsonld", "sensorElementList"),
    ("Example_9.6.4-TransformationEvent.jsonld", "bizStep"),
    ("ErrorDeclarationAndCorrectiveEvent.jsonld", "errorDeclaration"),
])
def test_a_gs1_example_using_what_the_mapping_does_not_cover_is_refused_event_by_event(members, name, field):
    outcomes = list(EpcisImport(members["rotterdam-metals"], example(name), parties={}).outcomes())
    assert outcomes and all(outcome.status == UNMAPPED for outcome in outcomes)
    assert outcomes[0].field == field and outcomes[0].rule


def test_the_cli_reports_every_event_and_exits_1_when_one_is_not_mapped(members, scrapledger, tmp_path):  # noqa: F811
    source = tmp_path / "supplier-events.jsonld"
    source.write_bytes((EXAMPLES / "Example_9.6.3-AggregationEvent.jsonld").read_bytes())
    result = scrapledger(members["rotterdam-metals"], "import", "epcis", str(source))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (row,) = read_csv(tmp_path / "supplier-events.epcis-report.csv")
    assert (row["event"], row["status"], row["field"]) == ("1", UNMAPPED, "type")


def test_the_cli_imports_a_recyclers_own_registrations(members, scrapledger, tmp_path, demo_document):  # noqa: F811
    own = [event for event in demo_document["epcisBody"]["eventList"] if event.get("bizStep") == "commissioning"
           and event["sl:ledgerEntry"]["sl:submitter"].endswith("/parties/rotterdam-metals")]
    source = tmp_path / "rotterdam.jsonld"
    source.write_text(json.dumps({**demo_document, "epcisBody": {"eventList": own}}, default=str), encoding="utf-8")
    result = scrapledger(members["rotterdam-metals"], "import", "epcis", str(source), *sum(
        (["--gln", option] for option in GLN_OPTIONS), []))
    assert result.exit_code == 0, result.output
    rows = read_csv(tmp_path / "rotterdam.epcis-report.csv")
    assert [row["status"] for row in rows] == [IMPORTED] * len(own)
    lot_id = json.loads(rows[0]["result"])["lot_id"]
    assert members["rotterdam-metals"].get(f"/v1/lots/{lot_id}")["mass_kg"] == format(
        Decimal(str(own[0]["quantityList"][0]["quantity"])), ".3f")


def test_a_file_that_is_not_an_epcis_document_is_refused_without_a_traceback(members, scrapledger, tmp_path):  # noqa: F811
    source = tmp_path / "notes.json"
    source.write_text('{"type": "Invoice"}', encoding="utf-8")
    result = scrapledger(members["rotterdam-metals"], "import", "epcis", str(source))
    assert result.exit_code == 1
    assert "must hold an EPCISDocument" in result.output and "Traceback" not in result.output


def own_registrations(demo_document, party_id="rotterdam-metals"):
    return [event for event in demo_document["epcisBody"]["eventList"] if event.get("bizStep") == "commissioning"
            and event["sl:ledgerEntry"]["sl:submitter"].endswith(f"/parties/{party_id}")]


def document_of(demo_document, events):
    return {**demo_document, "epcisBody": {"eventList": events}}


def test_events_not_mapped_between_a_partys_own_do_not_break_its_batch(members, demo_document, monkeypatch):
    registrations = own_registrations(demo_document)[:4]
    packing = {**registrations[0], "action": "OBSERVE", "bizStep": "packing"}  # hashed, then refused by the mapping
    events = [item for event in registrations for item in (event, packing)]
    posted = []
    monkeypatch.setattr(LedgerClient, "post", lambda self, path, payload, post=LedgerClient.post: (
        posted.append(path), post(self, path, payload))[1])
    outcomes = list(EpcisImport(members["rotterdam-metals"], document_of(demo_document, events),
                                parties=GLN_PARTIES).outcomes())
    assert posted == ["/v1/batches"]
    assert [(outcome.number, outcome.status) for outcome in outcomes] == [
        (number, IMPORTED if number % 2 else UNMAPPED) for number in range(1, 9)]


def test_an_events_submission_id_is_scoped_to_the_party_that_signs_it(members, demo_document):
    (outcome,) = EpcisImport(members["rotterdam-metals"], document_of(demo_document, own_registrations(demo_document)[:1]),
                             parties=GLN_PARTIES).outcomes()
    assert outcome.submission_id.startswith("rotterdam-metals:epcis-")
    assert outcome.submission_id.removeprefix("rotterdam-metals:epcis-") in outcome.event_hash


def test_an_event_nested_too_deeply_is_not_mapped_and_the_rest_are_imported(members, demo_document):
    (registration,) = own_registrations(demo_document)[:1]
    deep: list = []
    for _ in range(40):
        deep = [deep]
    nested = {**registration, "ilmd": {**registration["ilmd"], "sl:notes": deep}}
    outcomes = list(EpcisImport(members["rotterdam-metals"], document_of(demo_document, [nested, registration]),
                                parties=GLN_PARTIES).outcomes())
    assert [(outcome.status, outcome.field) for outcome in outcomes] == [(UNMAPPED, "event"), (IMPORTED, "")]


def test_a_file_nested_beyond_what_json_can_read_is_refused_without_a_traceback(members, scrapledger, tmp_path):  # noqa: F811
    source = tmp_path / "hostile.jsonld"
    source.write_text("[" * 100_000, encoding="utf-8")
    result = scrapledger(members["rotterdam-metals"], "import", "epcis", str(source))
    assert result.exit_code == 1
    assert "nests arrays or objects too deeply" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("options", "message"), [
    (["--gln", "8712345000004"], "give GLN=PARTY"),
    (["--gln", "8712345000004=ijmuiden-steel", "--gln", "8712345000004=hamburg-copper"], "8712345000004 is given twice"),
    (["--gln", "8712345000004=IJmuiden Steel"], "IJmuiden Steel is not a party id"),
    (["--gln", "8712345000005=ijmuiden-steel"], "8712345000005 is not a GLN"),
])
def test_a_malformed_party_option_is_refused_naming_what_is_wrong(members, scrapledger, tmp_path, options,  # noqa: F811
                                                                   message):
    source = tmp_path / "events.jsonld"
    source.write_text('{"type": "EPCISDocument"}', encoding="utf-8")
    result = scrapledger(members["rotterdam-metals"], "import", "epcis", str(source), *options)
    assert result.exit_code == 2 and message in result.output


def count_posts(monkeypatch):
    posted = []
    monkeypatch.setattr(LedgerClient, "post", lambda self, path, payload, post=LedgerClient.post: (
        posted.append(path), post(self, path, payload))[1])
    return posted


def test_a_body_the_ledger_cannot_sign_is_refused_naming_its_field_and_the_rest_land(members, demo_document):
    first, second = own_registrations(demo_document)[:2]
    numbered = {**first, "ilmd": {**first["ilmd"], "sl:reference": Decimal("4471")}}
    outcomes = list(EpcisImport(members["rotterdam-metals"], document_of(demo_document, [numbered, second]),
                                parties=GLN_PARTIES).outcomes())
    assert [(outcome.status, outcome.field) for outcome in outcomes] == [("refused", "ilmd.sl:reference"),
                                                                        (IMPORTED, "")]


def test_an_event_larger_than_the_server_takes_is_refused_and_the_rest_land(members, demo_document, app):
    first, second = own_registrations(demo_document)[:2]
    limit = app.config["MAX_CONTENT_LENGTH"]
    huge = {**first, "ilmd": {**first["ilmd"], "sl:reference": "x" * limit}}
    outcomes = list(EpcisImport(members["rotterdam-metals"], document_of(demo_document, [huge, second]),
                                parties=GLN_PARTIES).outcomes())
    assert [(outcome.status, outcome.field) for outcome in outcomes] == [("refused", "event"), (IMPORTED, "")]


def test_when_the_server_goes_away_every_event_is_still_reported(members, demo_document, monkeypatch):
    def unreachable(self, path, payload):
        raise ConnectionResetError("connection reset by peer")
    monkeypatch.setattr(LedgerClient, "post", unreachable)
    run = EpcisImport(members["rotterdam-metals"], document_of(demo_document, own_registrations(demo_document)[:3]),
                      parties=GLN_PARTIES)
    reported = []
    with pytest.raises(ImportStopped):
        for outcome in run.outcomes():
            reported.append(outcome)
    assert [(outcome.number, outcome.status) for outcome in reported] == [(1, NOT_SENT), (2, NOT_SENT), (3, NOT_SENT)]
