"""The party commands (`scrapledger lot ...`, dispatch, receive ...) against the Flask test client."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from api.cli import main
from api.client import LedgerClient
from tests.conftest import seeded_signer
from tests.conftest import test_client_transport as transport_over
from tests.factories import berry_body, lot_body

Run = Callable[..., Result]


@pytest.fixture
def scrapledger(client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    """Return `run(party, *args)`: the CLI acting as `party`, its HTTP going to the Flask test client."""
    monkeypatch.setattr("api.client.http_transport", lambda base_url, timeout=30.0: transport_over(client))

    def run(party: LedgerClient, *args: str) -> Result:
        key = tmp_path / "keys" / f"{party.party_id}.pem"
        if not key.exists():
            seeded_signer(party.party_id).save(key)
        env = {"SCRAPLEDGER_TOKEN": party.token, "SCRAPLEDGER_PARTY": party.party_id,
               "SCRAPLEDGER_KEY_FILE": str(key)}
        return CliRunner().invoke(main, list(args), env=env)

    return run


@pytest.fixture
def recycler(make_party: Callable[..., LedgerClient]) -> LedgerClient:
    return make_party("duisburg-recycling", roles=("recycler",), country="DE",
                      legal_name="Duisburger Schrott und Metall GmbH")


@pytest.fixture
def smelter(make_party: Callable[..., LedgerClient]) -> LedgerClient:
    return make_party("hamburg-copper", roles=("smelter",), country="DE", legal_name="Hamburg Copper Refinery GmbH")


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def register_berry(scrapledger: Run, party: LedgerClient, tmp_path: Path) -> str:
    body = tmp_path / "berry.json"
    body.write_text(json.dumps(berry_body()), encoding="utf-8")
    return json.loads(ok(scrapledger(party, "lot", "register", "--file", str(body), "--json")))["result"]["lot_id"]


def dispatch(scrapledger: Run, sender: LedgerClient, lot_id: str, *more: str) -> str:
    said = ok(scrapledger(sender, "dispatch", lot_id, "--to", "hamburg-copper", "--mass", "5000.5",
                          "--transport", "CMR DE-7781 / truck DU-SM-118", *more))
    assert said.startswith("lot.dispatch at entry ") and f"lot_id {lot_id}" in said
    return said.split("transfer_id ")[1].split(";")[0].strip()


def test_a_lot_registered_from_options_is_shown_with_holder_grade_and_origin(scrapledger, recycler):
    said = ok(scrapledger(recycler, "lot", "register", "--material", "ferrous", "--grade", "HMS 1&2",
                          "--ewc", "17 04 05", "--hs", "720449", "--stage", "post_consumer",
                          "--source", "construction_demolition", "--country", "DE", "--site", "Duisburg-Ruhrort yard",
                          "--mass", "24380", "--reference", "DU-HMS-0042"))
    lot_id = said.split()[-1]
    assert said == f"lot.register at entry {lot_id.removeprefix('lot-')}: lot_id {lot_id}\n"
    shown = ok(scrapledger(recycler, "lot", "show", lot_id))
    assert f"{lot_id}  active  ferrous  24380.000 kg  holder duisburg-recycling" in shown
    assert "grade HMS 1&2 (ISRI)" in shown
    assert "recycled 100.0%; post_consumer 100.0%; origins DE 100.0%" in shown


def test_json_output_is_the_servers_json(scrapledger, recycler, tmp_path):
    lot_id = register_berry(scrapledger, recycler, tmp_path)
    shown = json.loads(ok(scrapledger(recycler, "lot", "show", lot_id, "--json")))
    assert shown == recycler.get(f"/v1/lots/{lot_id}")
    listed = json.loads(ok(scrapledger(recycler, "lot", "list", "--material", "copper", "--json")))
    assert [lot["lot_id"] for lot in listed["lots"]] == [lot_id]


def test_a_lot_travels_from_dispatch_to_receipt_to_a_melt_and_back_through_provenance(
        scrapledger, recycler, smelter, tmp_path):
    lot_id = register_berry(scrapledger, recycler, tmp_path)
    transfer = dispatch(scrapledger, recycler, lot_id)
    assert ok(scrapledger(smelter, "receive", transfer, "--mass", "4998", "--notes", "clean, bright wire")
              ).endswith(f": transfer_id {transfer}\n")
    melted = ok(scrapledger(smelter, "transform", "--kind", "melt", "--input", lot_id, "--output", "6800",
                            "--material", "copper", "--losses", "198", "--addition", "primary copper cathode=2000"))
    ingot = melted.split()[-1]
    assert melted.endswith(f": consumed {lot_id}; outputs {ingot}\n")
    assert smelter.get(f"/v1/lots/{ingot}")["shares"]["primary"] == "0.285795"  # 2000 / 6998
    tree = ok(scrapledger(smelter, "provenance", ingot)).splitlines()
    assert tree[0].startswith(f"{ingot}  copper  6800.000 kg  active  holder hamburg-copper")
    assert "primary 28.6%" in tree[0]
    assert "melt by hamburg-copper" in tree[1] and "4998.000 kg in + 2000.000 kg added" in tree[1]
    assert tree[2].startswith(f"  {lot_id}  copper  4998.000 kg  consumed")
    assert tree[3].strip().startswith("registered by duisburg-recycling at entry")
    assert tree[4].strip() == (f"{transfer} duisburg-recycling -> hamburg-copper: 5000.500 kg declared, "
                               "4998.000 kg weighed, received")


def test_a_lot_is_received_and_melted_at_the_site_named_with_at_site(scrapledger, recycler, smelter, tmp_path):
    lot_id = register_berry(scrapledger, recycler, tmp_path)
    transfer = dispatch(scrapledger, recycler, lot_id)
    ok(scrapledger(smelter, "receive", transfer, "--mass", "5000.5", "--at-site", "Hamburg Peute smelter"))
    assert "; at Hamburg Peute smelter" in ok(scrapledger(smelter, "lot", "show", lot_id))
    melted = ok(scrapledger(smelter, "transform", "--kind", "melt", "--input", lot_id, "--output", "5000",
                            "--material", "copper", "--losses", "0.5", "--at-site", "Lünen wire-rod plant"))
    assert smelter.get(f"/v1/lots/{melted.split()[-1]}")["site"] == "Lünen wire-rod plant"


def test_a_rejected_delivery_leaves_the_lot_with_its_sender(scrapledger, recycler, smelter, tmp_path):
    lot_id = register_berry(scrapledger, recycler, tmp_path)
    transfer = dispatch(scrapledger, recycler, lot_id, "--keep-ownership")
    assert ok(scrapledger(smelter, "reject", transfer, "--reason", "insulation residue above 2%")
              ).startswith("lot.reject at entry ")
    assert "holder duisburg-recycling" in ok(scrapledger(recycler, "lot", "show", lot_id))


def test_a_problem_answer_exits_1_with_its_detail_and_field_on_stderr(scrapledger, recycler, tmp_path):
    lot_id = register_berry(scrapledger, recycler, tmp_path)
    result = scrapledger(recycler, "dispatch", lot_id, "--to", "nobody-metals", "--mass", "5000.5",
                         "--transport", "CMR DE-7783")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "error 404 party not found: party nobody-metals is not registered" in result.stderr
    assert "field: body.to_party" in result.stderr
    assert "Traceback" not in result.output


def test_an_invalid_registration_names_the_field_and_rule(scrapledger, recycler, tmp_path):
    body = tmp_path / "lot.json"
    body.write_text(json.dumps(lot_body(net_mass_kg=24380)), encoding="utf-8")
    result = scrapledger(recycler, "lot", "register", "--file", str(body))
    assert result.exit_code == 1
    assert "field: body.net_mass_kg (must be a decimal string of kilograms" in result.stderr


def test_writing_without_a_key_is_a_usage_error(scrapledger, recycler):
    result = CliRunner().invoke(main, ["lot", "register", "--material", "copper"],
                                env={"SCRAPLEDGER_TOKEN": recycler.token, "SCRAPLEDGER_PARTY": "",
                                     "SCRAPLEDGER_KEY_FILE": ""})
    assert result.exit_code == 2
    assert "writing needs --party and --key" in result.stderr
