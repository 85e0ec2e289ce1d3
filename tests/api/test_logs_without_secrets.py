"""Logs carry no secret: a whole scenario over real HTTP, then every captured byte is searched.

The app is served by werkzeug on a free port of 127.0.0.1 (so werkzeug's own
request log is written too) and driven with `LedgerClient` over HTTP: parties
registered with their tokens, lots, a transformation, a batch, a dispatch and
its receipt, a declaration and its verification, the auditor's tools, then a
wrong token and a bad signature. Everything logged is captured: caplog at
DEBUG for scrapledger, the Flask app's logger, werkzeug and flask-limiter (and
WARNING for every other logger), a handler using the production JSON
formatter, and the process's stdout and stderr.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from werkzeug.serving import make_server

from api.client import LedgerClient, Reply, http_transport
from api.observability import JsonFormatter
from ledger.signing import Signer
from tests.conftest import ORIGIN, seeded_signer
from tests.factories import declaration_body, dispatch_body, lot_body, output, receipt_body, transform_body

PARTIES = (("rotterdam-metals", "recycler", "Rotterdam Metals Recycling B.V."),
           ("ijmuiden-steel", "smelter", "IJmuiden Steel Works B.V."),
           ("amsterdam-assurance", "auditor", "Amsterdam Assurance N.V."))
DEBUG_LOGGERS = ("scrapledger", "api", "werkzeug", "flask-limiter")
WRONG_TOKEN = "slt_" + "Wr0ngT0kenWr0ngT0kenWr0ngT0kenWr0ngT0ken12"


@dataclass
class Wire:
    """Every request the clients sent: its JSON body and its headers."""

    sent: list[tuple[dict[str, Any] | None, dict[str, str]]] = field(default_factory=list)

    def recording(self, transport: Callable[..., Reply]) -> Callable[..., Reply]:
        def send(method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> Reply:
            self.sent.append((body, dict(headers)))
            return transport(method, path, body, headers)

        return send

    def signatures(self) -> set[str]:
        found = set()
        for body, _ in self.sent:
            for envelope in (body or {}).get("items", [body or {}]):
                if "signature" in envelope:
                    found.add(envelope["signature"])
        return found

    def authorizations(self) -> set[str]:
        return {headers["Authorization"] for _, headers in self.sent if "Authorization" in headers}


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    """Serve `app` with werkzeug on a free loopback port for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What a handler with the production JSON formatter writes for the scrapledger loggers."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    logger = logging.getLogger("scrapledger")
    logger.addHandler(handler)
    yield buffer
    logger.removeHandler(handler)


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
                      json_lines: io.StringIO) -> Callable[[], str]:
    """Return a function giving all captured log output so far, each record in every form it can take."""
    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    formatter = JsonFormatter()

    def collected() -> str:
        out, err = capfd.readouterr()
        records = [(plain.format(record), formatter.format(record), repr(vars(record))) for record in caplog.records]
        return "\n".join([json_lines.getvalue(), out, err, *(part for parts in records for part in parts)])

    return collected


def private_key_forms(pem_file: Path) -> list[str]:
    """Return a PEM key file's text, its base64 body and its raw private bytes as hex."""
    pem = pem_file.read_text()
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    return [pem.strip(), body, raw.hex()]


def seeded_private_hex(party_id: str) -> str:
    """Return the raw private bytes of `seeded_signer(party_id)` as hex: its seed is the Ed25519 private key."""
    return hashlib.sha256(party_id.encode()).hexdigest()


def run_scenario(base_url: str, operator_token: str, operator_key: Path, wire: Wire) -> dict[str, str]:
    """Drive a whole custody-to-audit scenario over HTTP; return the tokens the operator handed out."""
    transport = wire.recording(http_transport(base_url, timeout=30))
    operator = LedgerClient(transport, party_id="operator", token=operator_token,
                            signer=Signer.load(operator_key), origin=ORIGIN)
    clients = {}
    for party_id, role, legal_name in PARTIES:
        signer = seeded_signer(party_id)
        answer = operator.submit("/v1/parties", "party.register", {
            "party_id": party_id, "legal_name": legal_name, "registration_number": f"KVK-{party_id}",
            "country": "NL", "roles": [role], "public_keys": [signer.public_key.hex()]})
        clients[party_id] = LedgerClient(transport, party_id=party_id, token=answer["token"], signer=signer,
                                         origin=ORIGIN)
    recycler, smelter, auditor = (clients[party_id] for party_id, _, _ in PARTIES)

    lot = recycler.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    scrap = recycler.submit("/v1/lots", "lot.register", lot_body(reference="RTM-2026-11-0043"))["result"]["lot_id"]
    recycler.submit("/v1/transformations", "lot.transform",
                    transform_body("split", [scrap], [output("12000"), output("12000")], losses="380"))
    recycler.post("/v1/batches", {"items": [recycler.signed("lot.register", lot_body(reference=f"RTM-B-{n}"))
                                            for n in range(2)]})
    declaration = recycler.submit("/v1/declarations", "declaration.issue",
                                  declaration_body(lot, "ijmuiden-steel"))["result"]["declaration_id"]
    transfer = recycler.submit(f"/v1/lots/{lot}/dispatches", "lot.dispatch",
                               dispatch_body(lot, "ijmuiden-steel"))["result"]["transfer_id"]
    smelter.submit(f"/v1/transfers/{transfer}/receipt", "lot.receive", receipt_body(transfer))
    assert smelter.post(f"/v1/declarations/{declaration}/verification", {})["verdict"] in ("pass", "warn")
    smelter.get(f"/v1/lots/{lot}/provenance")

    job = auditor.get("/v1/audit/verification")
    for _ in range(100):
        if job["status"] != "running":
            break
        time.sleep(0.05)
        job = auditor.get(f"/v1/audit/verification/{job['job_id']}")
    assert job["status"] == "passed"
    auditor.get("/v1/audit/findings")
    auditor.get("/v1/audit/mass-balance?recompute=true")

    assert transport("GET", "/v1/lots", None, {"Authorization": f"Bearer {WRONG_TOKEN}"}).status == 401
    forged = recycler.signed("lot.register", lot_body(reference="RTM-2026-11-0099"))
    forged["signature"] = ("0" if forged["signature"][0] != "0" else "1") + forged["signature"][1:]
    assert transport("POST", "/v1/lots", forged, {"Authorization": f"Bearer {recycler.token}"}).status == 401
    return {party_id: client.token for party_id, client in clients.items()}


def test_a_whole_scenario_logs_no_token_key_signature_or_authorization_header(
        base_url, genesis, settings, everything_logged):
    wire = Wire()

    tokens = run_scenario(base_url, genesis.operator_token, genesis.operator_key_file, wire)

    logged = everything_logged()
    assert '"route": "/v1/lots/<lot_id>/dispatches"' in logged  # the capture saw the app's JSON lines
    assert "POST /v1/parties HTTP/1.1" in logged  # and werkzeug's request log
    secrets = {
        "token": [genesis.operator_token, WRONG_TOKEN, *tokens.values()],
        "authorization header": sorted(wire.authorizations()),
        "signature": sorted(wire.signatures()),
        "private key": [*private_key_forms(genesis.operator_key_file), *private_key_forms(settings.log_key_file),
                        *(seeded_private_hex(party_id) for party_id, _, _ in PARTIES)],
    }
    assert len(secrets["signature"]) >= 12 and len(secrets["authorization header"]) == 5
    leaked = {kind: [value[:12] + "..." for value in values if value in logged] for kind, values in secrets.items()}
    assert leaked == {kind: [] for kind in secrets}


def test_every_request_is_logged_as_one_json_line_with_method_route_and_status(
        base_url, genesis, json_lines, everything_logged):
    run_scenario(base_url, genesis.operator_token, genesis.operator_key_file, Wire())

    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    requests = [(line["method"], line["route"], line["status"]) for line in lines
                if line["logger"] == "scrapledger.requests"]
    assert ("POST", "/v1/parties", 201) in requests
    assert ("POST", "/v1/lots/<lot_id>/dispatches", 201) in requests
    assert ("POST", "/v1/transfers/<transfer_id>/receipt", 201) in requests
    assert ("POST", "/v1/declarations/<declaration_id>/verification", 200) in requests
    assert ("GET", "/v1/audit/findings", 200) in requests
    assert ("GET", "/v1/lots", 401) in requests
    assert ("POST", "/v1/lots", 401) in requests
    assert all(isinstance(status, int) for _, _, status in requests)
