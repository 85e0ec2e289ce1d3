"""`scrapledger demo`: a realistic scrap chain appended to an empty ledger through the log, no server.

Three recyclers register a dozen lots; Rotterdam splits and blends steel for
IJmuiden, one delivery weighs in light (a flagged discrepancy), one is rejected
at the gate, and Hamburg melts copper into ingots with primary cathode added, crediting its
mass-balance account and claiming recycled content on the ingots.
Each party's key is written under $SCRAPLEDGER_HOME/keys; its token is printed once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ledger import claim_accounts, claims, custody, lots, parties, transformations
from ledger.config import Settings
from ledger.entries import format_time, sign_submission
from ledger.errors import LedgerError
from ledger.genesis import load_or_create_key
from ledger.log import AppendResult, Log
from ledger.masses import format_kg
from ledger.signing import Signer
from ledger.store import Store

PARTIES = (  # party id, legal name, registration number, country, role
    ("rotterdam-metals", "Rotterdam Metals Recycling B.V.", "KVK-24123456", "NL", "recycler"),
    ("antwerp-shredding", "Antwerpen Shredding NV", "BE-0456.789.123", "BE", "recycler"),
    ("duisburg-recycling", "Duisburger Schrott und Metall GmbH", "HRB-12345-Duisburg", "DE", "recycler"),
    ("ijmuiden-steel", "IJmuiden Steel Works B.V.", "KVK-34987654", "NL", "smelter"),
    ("hamburg-copper", "Hamburg Copper Refinery GmbH", "HRB-98765-Hamburg", "DE", "smelter"),
    ("chain-audit", "Metals Chain Assurance B.V.", "KVK-56781234", "NL", "auditor"),
)
GLNS = {"ijmuiden-steel": "8712345000004", "hamburg-copper": "4001234000008"}  # EPCIS names them by GLN


def _lot(reference: str, family: str, grade: tuple[str, str], hs: str, stage: str, source: str,
         origin: tuple[str, str], kg: str, **status: Any) -> dict[str, Any]:
    """Return a lot.register body; `status` is ewc_code=... or end_of_waste={...}."""
    return {"reference": reference, "material_family": family, "grade": {"scheme": grade[0], "code": grade[1]},
            "hs_code": hs, "consumer_stage": stage, "source_type": source,
            "origin": {"country": origin[0], "site": origin[1]}, "net_mass_kg": kg, **status}


def _document(kind: str, text: str) -> dict[str, str]:
    return {"kind": kind, "sha256": hashlib.sha256(text.encode()).hexdigest(), "name": text}


HMS, CANDY = ("ISRI", "HMS 1&2"), ("ISRI", "Candy")
LOTS = {  # demo name: (registering holder, body)
    "rtm-hms": ("rotterdam-metals", _lot(
        "RTM-2026-11-0042", "ferrous", HMS, "720449", "post_consumer", "construction_demolition",
        ("NL", "Waalhaven Zuid yard, Rotterdam"), "24380", ewc_code="17 04 05", gross_mass_kg="38120",
        tare_mass_kg="13740", weighbridge_ticket="WB-118822",
        documents=[_document("weighbridge_ticket", "WB-118822.pdf")])),
    "rtm-municipal": ("rotterdam-metals", _lot(
        "RTM-2026-11-0057", "ferrous", HMS, "720449", "post_consumer", "municipal",
        ("NL", "Botlek collection point, Rotterdam"), "22150", ewc_code="20 01 40")),
    "rtm-busheling": ("rotterdam-metals", _lot(
        "RTM-2026-11-0061", "ferrous", ("ISRI", "No. 1 Busheling"), "720449", "pre_consumer",
        "industrial_new_scrap", ("NL", "Press shop, Born"), "19840", ewc_code="12 01 01")),
    "rtm-shredded": ("rotterdam-metals", _lot(
        "RTM-2026-11-0070", "ferrous", ("ISRI", "Shredded"), "720449", "post_consumer", "elv",
        ("NL", "Moerdijk shredder"), "21900", ewc_code="19 10 01")),
    "ant-zorba": ("antwerp-shredding", _lot(
        "ANT-ZOR-7781", "mixed_non_ferrous", ("ISRI", "Zorba"), "760200", "post_consumer", "elv",
        ("BE", "Kallo shredder, Antwerp"), "8200", ewc_code="19 10 02")),
    "ant-end-of-waste": ("antwerp-shredding", _lot(
        "ANT-E40-0193", "ferrous", ("EU-27", "E40"), "720449", "post_consumer", "elv",
        ("BE", "Kallo shredder, Antwerp"), "18750",
        end_of_waste={"regime": "333/2011", "statement_of_conformity": "SoC-ANT-2026-0193"},
        documents=[_document("statement_of_conformity", "SoC-ANT-2026-0193.pdf")])),
    "ant-hms": ("antwerp-shredding", _lot(
        "ANT-HMS-0208", "ferrous", HMS, "720449", "post_consumer", "construction_demolition",
        ("BE", "Quay 526, Port of Antwerp"), "20640", ewc_code="17 04 05")),
    "ant-candy": ("antwerp-shredding", _lot(
        "ANT-CU-0311", "copper", CANDY, "740400", "post_consumer", "construction_demolition",
        ("BE", "Non-ferrous yard, Hoboken"), "3120", ewc_code="17 04 01")),
    "dui-berry": ("duisburg-recycling", _lot(
        "DU-CU-0091", "copper", ("ISRI", "Berry"), "740400", "pre_consumer", "cable",
        ("DE", "Cable works, Duisburg-Hochfeld"), "5000.5", ewc_code="17 04 01")),
    "dui-candy": ("duisburg-recycling", _lot(
        "DU-CU-0094", "copper", CANDY, "740400", "post_consumer", "construction_demolition",
        ("DE", "Ruhrort yard, Duisburg"), "2800", ewc_code="17 04 01")),
    "dui-turnings": ("duisburg-recycling", _lot(
        "DU-AL-0017", "aluminium", ("EN 13920", "EN 13920-12"), "760200", "pre_consumer",
        "industrial_new_scrap", ("DE", "CNC machining plant, Rheinhausen"), "6400", ewc_code="12 01 03")),
    "dui-e3": ("duisburg-recycling", _lot(
        "DU-FE-0233", "ferrous", ("EU-27", "E3"), "720449", "post_consumer", "construction_demolition",
        ("DE", "Ruhrort yard, Duisburg"), "21000", ewc_code="17 04 05")),
}


@dataclass(frozen=True, slots=True)
class Member:
    """A demo party, its API token (shown once) and its key file."""

    party_id: str
    token: str
    key_file: Path


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the demo appended: its parties, its lots by demo name, the log size after it."""

    members: tuple[Member, ...]
    lots: dict[str, str]
    size: int


class _Scenario:
    """Appends submissions, each signed by the party that makes it, all timestamped `now`."""

    def __init__(self, log: Log, now: datetime) -> None:
        self.log, self.now = log, now
        self.signers: dict[str, Signer] = {}

    def submit(self, party: str, entry_type: str, body: dict[str, Any]) -> AppendResult:
        signer = self.signers[party]
        submission = {"log": self.log.origin, "party": party, "key_id": signer.key_id,
                      "submission_id": f"demo-{self.log.size():03d}", "timestamp": format_time(self.now),
                      "type": entry_type, "body": body}
        return self.log.append(sign_submission(submission, signer), actor=party, now=self.now)

    def transform(self, party: str, kind: str, inputs: list[str], outputs: list[dict[str, Any]], losses: str,
                  **additions: Any) -> list[str]:
        body = {"kind": kind, "inputs": inputs, "outputs": outputs, "losses_kg": losses, **additions}
        return list(self.submit(party, transformations.TRANSFORM, body).result["outputs"])

    def deliver(self, lot_id: str, sender: str, receiver: str, declared: str, transport: str, *,
                weighed: str = "", notes: str = "", rejected: str = "", keep_ownership: bool = False) -> None:
        """Dispatch a lot and let the receiver weigh it in, or reject it when `rejected` gives a reason."""
        body = {"lot_id": lot_id, "to_party": receiver, "declared_mass_kg": declared,
                "transport_reference": transport, "transfers_ownership": not keep_ownership}
        transfer = self.submit(sender, custody.DISPATCH, body).result["transfer_id"]
        if rejected:
            self.submit(receiver, custody.REJECT, {"transfer_id": transfer, "reason": rejected})
            return
        inspection = {"conformant": True, "radiation_check_passed": True, **({"notes": notes} if notes else {})}
        self.submit(receiver, custody.RECEIVE, {"transfer_id": transfer, "weighed_mass_kg": weighed,
                                                "inspection": inspection})


def load_demo(log: Log, operator_key: Signer, keys_dir: Path, now: datetime) -> Loaded | None:
    """Append the demo to a ledger holding only its genesis entry; return None (and do nothing) otherwise.

    The genesis operator registers the parties with `operator_key`; each party's key is
    read from, or created in, `keys_dir`.
    """
    if log.size() != 1:
        return None
    scenario = _Scenario(log, now)
    operator = log.entry(0).signed.party
    scenario.signers[operator] = operator_key
    members = []
    for party_id, legal_name, number, country, role in PARTIES:
        key_file = keys_dir / f"{party_id}.pem"
        signer = scenario.signers[party_id] = load_or_create_key(key_file)
        body = {"party_id": party_id, "legal_name": legal_name, "registration_number": number, "country": country,
                "roles": [role], "public_keys": [signer.public_key.hex()]}
        if party_id in GLNS:
            body["gln"] = GLNS[party_id]
        registered = scenario.submit(operator, parties.REGISTER, body)
        members.append(Member(party_id, str(registered.token), key_file))
    ids = {name: scenario.submit(holder, lots.REGISTER, body).result["lot_id"] for name, (holder, body) in LOTS.items()}
    _chain(scenario, ids)
    log.checkpoint(now)
    return Loaded(tuple(members), ids, log.size())


def _chain(run: _Scenario, ids: dict[str, str]) -> None:
    """Split, blend, deliver and melt: adds the made lots to `ids` under their demo names."""
    steel = {"material_family": "ferrous", "hs_code": "720449", "ewc_code": "17 04 05",
             "grade": {"scheme": "ISRI", "code": "HMS 1&2"}}
    ids["rtm-truckload-1"], ids["rtm-truckload-2"] = run.transform(
        "rotterdam-metals", "split", [ids["rtm-hms"]],
        [{**steel, "net_mass_kg": "12000"}, {**steel, "net_mass_kg": "12200"}], losses="180")
    (ids["rtm-charge-mix"],) = run.transform(
        "rotterdam-metals", "blend", [ids["rtm-municipal"], ids["rtm-busheling"]],
        [{**steel, "ewc_code": "19 12 02", "grade": {"scheme": "customer", "code": "IJM charge mix 53/47"},
          "net_mass_kg": "41900"}], losses="90")
    ijmuiden = "ijmuiden-steel"
    run.deliver(ids["rtm-truckload-1"], "rotterdam-metals", ijmuiden, "12000", "Barge MS Rijnstroom, voyage 2026-311",
                weighed="11985")
    run.deliver(ids["rtm-truckload-2"], "rotterdam-metals", ijmuiden, "12200", "CMR 2026-55821 / truck NL-12-BXT",
                weighed="11940", notes="2.1% light at the IJmuiden weighbridge; wet load, attached soil")
    run.deliver(ids["rtm-charge-mix"], "rotterdam-metals", ijmuiden, "41900", "Rail wagons 33 84 6654 012-3 ff.",
                weighed="41870")
    run.deliver(ids["ant-end-of-waste"], "antwerp-shredding", ijmuiden, "18750", "Barge MS Scheldezee, B/L ANT-0442",
                weighed="18720")
    run.deliver(ids["ant-hms"], "antwerp-shredding", ijmuiden, "20640", "CMR BE-2026-1187 / truck 1-ABC-234",
                rejected="sealed gas cylinders and about 6% non-metallics found at unloading; load returned")
    hamburg = "hamburg-copper"
    account = run.submit(hamburg, claims.OPEN, {
        "site": "Hamburg Peute refinery", "material_family": "copper", "characteristic": "recycled",
        "model": "mass_balance", "period": "quarter", "carry_forward": True, "carry_forward_cap": "0.25"})
    run.deliver(ids["dui-berry"], "duisburg-recycling", hamburg, "5000.5", "CMR DE-2026-7781 / truck DU-SM-118",
                weighed="4998")
    run.deliver(ids["ant-candy"], "antwerp-shredding", hamburg, "3120", "CMR BE-2026-1190 / truck 1-XYZ-987",
                weighed="3115")
    run.deliver(ids["dui-candy"], "duisburg-recycling", hamburg, "2800", "CMR DE-2026-7790 / truck DU-SM-121",
                weighed="2795", keep_ownership=True)
    (ids["hamburg-ingots"],) = run.transform(
        hamburg, "melt", [ids["dui-berry"], ids["ant-candy"], ids["dui-candy"]],
        [{"material_family": "copper", "hs_code": "740319", "grade": {"scheme": "customer", "code": "Cu-ETP ingot"},
          "net_mass_kg": "13150"}], losses="258",
        additions=[{"material": "primary copper cathode (LME grade A)", "mass_kg": "2500"}])
    with run.log.store.read() as tx:
        _, available = claim_accounts.held(tx, account.result["account_id"])
    run.submit(hamburg, claims.ALLOCATE, {"account_id": account.result["account_id"], "lot_id": ids["hamburg-ingots"],
                                          "mass_kg": format_kg(available // 100_000 * 100_000)})  # whole 100 kg


@click.command(name="demo")
def command() -> None:
    """Fill an empty ledger with demo parties, lots, custody and transformations (tokens shown once)."""
    settings = Settings.from_env()
    operator_key = settings.home / "operator-key.pem"
    for needed in (settings.log_key_file, operator_key):
        if not needed.exists():
            raise click.ClickException(f"no key at {needed}: run scrapledger init")
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    log = Log(store, Signer.load(settings.log_key_file), settings.origin,
              timestamp_window=settings.timestamp_window_seconds)
    try:
        size = log.size()
        loaded = load_demo(log, Signer.load(operator_key), settings.home / "keys", datetime.now(UTC))
    except LedgerError as error:
        raise click.ClickException(f"demo failed: {error.detail}") from None
    finally:
        store.dispose()
    if loaded is None:
        click.echo(f"demo skipped: the ledger holds {size} entries, not just its genesis")
        return
    click.echo(f"demo loaded: {loaded.size} entries, {len(loaded.members)} parties, {len(loaded.lots)} lots")
    for member in loaded.members:
        click.echo(f"  {member.party_id:<19} token {member.token}  key {member.key_file}")
    click.echo("tokens are shown once. Try: SCRAPLEDGER_TOKEN=<hamburg-copper token> "
               f"scrapledger provenance {loaded.lots['hamburg-ingots']}")
