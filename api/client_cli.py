"""Commands for parties working against a server: lots, custody, transformations and provenance.

Every command takes the same connection options (with environment fallbacks) and prints a short
summary or, with --json, the server's JSON; a problem answer goes to stderr with exit status 1.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import click

from ledger import scrap_codes
from ledger.errors import LedgerError
from ledger.masses import KG
from ledger.signing import Signer
from ledger.transformations import KINDS

from . import client
from .client import ClientError, LedgerClient

CONNECTION_OPTIONS = (
    click.option("--server", envvar="SCRAPLEDGER_URL", show_envvar=True, default="http://127.0.0.1:8000",
                 show_default=True),
    click.option("--token", envvar="SCRAPLEDGER_TOKEN", show_envvar=True, required=True, help="API token"),
    click.option("--party", envvar="SCRAPLEDGER_PARTY", show_envvar=True, help="acting party id"),
    click.option("--key", "key_file", envvar="SCRAPLEDGER_KEY_FILE", show_envvar=True, help="the party's key file"),
    click.option("--json", "as_json", is_flag=True, help="print the server's JSON"),
)


@dataclass(frozen=True, slots=True)
class Connection:
    """The server, token and signing identity a command acts with."""

    server: str
    token: str
    party: str | None
    key_file: str | None

    def reader(self) -> LedgerClient:
        """Return a client for reads; they sign nothing, so a throwaway key stands in for the party's."""
        return self._client(Signer.generate())

    def writer(self) -> LedgerClient:
        """Return a client signing as --party with --key for the log the server names in its vkey."""
        if not self.party or not self.key_file:
            raise click.UsageError("writing needs --party and --key (or SCRAPLEDGER_PARTY, SCRAPLEDGER_KEY_FILE)")
        try:
            signer = Signer.load(self.key_file)
        except (OSError, ValueError, LedgerError) as error:
            raise click.ClickException(f"cannot load the key {self.key_file}: {error}") from None
        writer = self._client(signer)
        writer.origin = str(writer.get("/v1/log-key")).strip().split("+", 1)[0]
        return writer

    def _client(self, signer: Signer) -> LedgerClient:
        return LedgerClient(client.http_transport(self.server), party_id=self.party or "", token=self.token,
                            signer=signer, origin="", wait=_waiting)


def _waiting(seconds: float) -> None:
    """Sleep before a retry, saying so when it is long enough to notice (a rate limit)."""
    if seconds >= 1:
        click.echo(f"the server asks to wait {seconds:g} s (rate limit); waiting", err=True)
    time.sleep(seconds)


def party_command(make: Callable[..., Any] = click.command, name: str | None = None,
                  render: Callable[[Any], str] | None = None) -> Callable[..., Any]:
    """Return a decorator turning `f(connection, **params) -> answer` into a command with the connection options."""
    def decorate(function: Callable[..., Any]) -> Any:
        @functools.wraps(function)
        def run(server: str, token: str, party: str | None, key_file: str | None, as_json: bool,
                **params: Any) -> None:
            try:
                answer = function(Connection(server, token, party, key_file), **params)
            except ClientError as error:
                _report(error)
                click.get_current_context().exit(1)
            except OSError as error:
                raise click.ClickException(f"cannot reach {server}: {error}") from None
            click.echo(json.dumps(answer, indent=2) if as_json else (render or _appended)(answer))

        for option in reversed(CONNECTION_OPTIONS):
            run = option(run)
        return make(name)(run)

    return decorate


AT_SITE = click.option("--at-site", help="your site that keeps the lot, where your mass-balance accounts are "
                                          "kept per site (needed once you keep them at several)")


def _report(error: ClientError) -> None:
    problem = error.problem
    click.echo(f"error {error.status} {problem.get('title', '')}: {problem.get('detail', '')}", err=True)
    if problem.get("field"):
        click.echo(f"  field: {problem['field']}" + (f" ({problem['rule']})" if problem.get("rule") else ""), err=True)


def _appended(answer: dict[str, Any]) -> str:
    said = (f"{name} {', '.join(value) if isinstance(value, list) else value}"
            for name, value in answer["result"].items())
    return f"{answer['type']} at entry {answer['index']}: {'; '.join(said)}"


def _percent(share: str) -> str:
    return f"{Decimal(share) * 100:.1f}%"


def _makeup(lot: dict[str, Any]) -> str:
    shares = lot["shares"]
    parts = [f"{name} {_percent(shares[name])}" for name in sorted(shares, key=lambda name: name != "recycled")
             if name == "recycled" or Decimal(shares[name])]
    origins = ", ".join(f"{origin['country']} {_percent(origin['share'])}" for origin in lot["origins"])
    return f"{'; '.join(parts)}; origins {origins or '-'}"


def _lot_line(lot: dict[str, Any]) -> str:
    return (f"{lot['lot_id']}  {lot['status']}  {lot['material_family']}  {lot['mass_kg']} kg  "
            f"holder {lot['holder']}" + ("  DISCREPANCY" if lot["discrepancy"] else ""))


def _lot_text(lot: dict[str, Any]) -> str:
    grade = lot["attributes"].get("grade")
    lines = [_lot_line(lot) + (f"  grade {grade['code']} ({grade['scheme']})" if grade else ""),
             f"  owner {lot['owner']}; made by {lot['made_by']} at entry {lot['created_entry']} by {lot['created_by']}"
             + (f"; at {lot['site']}" if lot.get("site") else ""),
             f"  {_makeup(lot)}"]
    if transfer := lot.get("open_transfer"):
        lines.append(f"  in transit as {transfer['transfer_id']} to {transfer['receiver']}, "
                     f"{transfer['declared_mass_kg']} kg declared")
    return "\n".join(lines)


def _provenance_text(graph: dict[str, Any]) -> str:
    lots = {lot["lot_id"]: lot for lot in graph["lots"]}
    made = {t["entry_index"]: t for t in graph["transformations"]}
    lines: list[str] = []
    seen: set[str] = set()

    def walk(lot_id: str, depth: int) -> None:
        pad, lot = "  " * depth, lots[lot_id]
        if lot_id in seen:
            lines.append(f"{pad}{lot_id} (see above)")
            return
        seen.add(lot_id)
        lines.append(f"{pad}{lot_id}  {lot['material_family']}  {lot['mass_kg']} kg  {lot['status']}  "
                     f"holder {lot['holder']}  {_makeup(lot)}")
        if step := made.get(lot["created_entry"]):
            lines.append(f"{pad}  {step['kind']} by {step['actor']} at entry {step['entry_index']}: "
                         f"{step['input_mass_kg']} kg in + {step['additions_kg']} kg added -> "
                         f"{step['output_mass_kg']} kg out, {step['losses_kg']} kg lost")
        else:
            lines.append(f"{pad}  registered by {lot['created_by']} at entry {lot['created_entry']}")
        for t in (t for t in graph["transfers"] if t["lot_id"] == lot_id):
            weighed = f", {t['weighed_mass_kg']} kg weighed" if t.get("weighed_mass_kg") else ""
            lines.append(f"{pad}  {t['transfer_id']} {t['sender']} -> {t['receiver']}: {t['declared_mass_kg']} kg "
                         f"declared{weighed}, {t['status']}" + (" DISCREPANCY" if t["discrepancy"] else ""))
        for parent in sorted(edge["parent"] for edge in graph["edges"] if edge["child"] == lot_id):
            walk(parent, depth + 1)

    walk(graph["lot_id"], 0)
    return "\n".join(lines)


@click.group()
def lot() -> None:
    """Register, show and list lots on a scrapledger server."""


@party_command(lot.command, "register")
@click.option("--file", "body_file", type=click.File("r"), help="the lot.register body as JSON ('-' for stdin)")
@click.option("--material", "material_family", type=click.Choice(scrap_codes.MATERIAL_FAMILIES))
@click.option("--grade-scheme", type=click.Choice(scrap_codes.GRADE_SCHEMES), default="ISRI", show_default=True)
@click.option("--grade", help="grade code, e.g. 'HMS 1&2', Zorba, EN 13920-12")
@click.option("--ewc", "ewc_code", help="European List of Waste code, e.g. '17 04 05'")
@click.option("--hs", "hs_code", help="Harmonized System code, e.g. 720449")
@click.option("--stage", "consumer_stage", type=click.Choice(scrap_codes.CONSUMER_STAGES))
@click.option("--source", "source_type", type=click.Choice(scrap_codes.SOURCE_TYPES))
@click.option("--country", help="ISO 3166-1 alpha-2 country of collection")
@click.option("--site", help="site of collection")
@click.option("--mass", "net_mass_kg", help="net mass in kg")
@click.option("--reference", help="your own reference for the lot")
@AT_SITE
def register(connection: Connection, body_file: Any, grade_scheme: str, grade: str | None, country: str | None,
             site: str | None, at_site: str | None, **fields: str | None) -> Any:
    """Register a lot held by you, from --file or from the options."""
    if body_file is not None and any((grade, country, site, at_site, *fields.values())):
        raise click.UsageError("give either --file or the lot options, not both")
    grading = {"grade": {"scheme": grade_scheme, "code": grade}} if grade else {}
    body = json.load(body_file) if body_file is not None else {
        **{name: value for name, value in fields.items() if value is not None}, **grading,
        "origin": {"country": country, "site": site}, **({"site": at_site} if at_site else {})}
    return connection.writer().submit("/v1/lots", "lot.register", body)


@party_command(lot.command, "show", render=_lot_text)
@click.argument("lot_id")
def show(connection: Connection, lot_id: str) -> Any:
    """Show a lot: custody, mass, computed shares and origins."""
    return connection.reader().get(f"/v1/lots/{lot_id}")


@party_command(lot.command, "list", render=lambda answer: "\n".join(map(_lot_line, answer["lots"])))
@click.option("--holder")
@click.option("--status", type=click.Choice(("active", "in_transit", "consumed")))
@click.option("--material", "material_family", type=click.Choice(scrap_codes.MATERIAL_FAMILIES))
def list_lots(connection: Connection, **filters: str | None) -> Any:
    """List the lots you may see, every page of them."""
    reader, found, query = connection.reader(), [], {name: value for name, value in filters.items() if value}
    while True:
        page = reader.get("/v1/lots?" + urlencode({**query, "limit": 1000}))
        found += page["lots"]
        if not page["next_cursor"]:
            return {"lots": found, "next_cursor": None}
        query["cursor"] = page["next_cursor"]


@party_command()
@click.argument("lot_id")
@click.option("--to", "to_party", required=True, help="the receiving party")
@click.option("--mass", required=True, help="declared mass in kg")
@click.option("--transport", required=True, help="transport reference (CMR, truck, wagon ...)")
@click.option("--keep-ownership", is_flag=True, help="hand over possession only")
def dispatch(connection: Connection, lot_id: str, to_party: str, mass: str, transport: str,
             keep_ownership: bool) -> Any:
    """Dispatch a lot you hold to another party."""
    body = {"lot_id": lot_id, "to_party": to_party, "declared_mass_kg": mass, "transport_reference": transport,
            "transfers_ownership": not keep_ownership}
    return connection.writer().submit(f"/v1/lots/{lot_id}/dispatches", "lot.dispatch", body)


@party_command()
@click.argument("transfer_id")
@click.option("--mass", required=True, help="weighed mass in kg")
@click.option("--non-conformant", is_flag=True)
@click.option("--radiation-failed", is_flag=True)
@click.option("--notes")
@AT_SITE
def receive(connection: Connection, transfer_id: str, mass: str, non_conformant: bool, radiation_failed: bool,
            notes: str | None, at_site: str | None) -> Any:
    """Receive a transfer addressed to you at its weighed mass, with your inspection."""
    inspection = {"conformant": not non_conformant, "radiation_check_passed": not radiation_failed,
                  **({"notes": notes} if notes else {})}
    body = {"transfer_id": transfer_id, "weighed_mass_kg": mass, "inspection": inspection,
            **({"site": at_site} if at_site else {})}
    return connection.writer().submit(f"/v1/transfers/{transfer_id}/receipt", "lot.receive", body)


@party_command()
@click.argument("transfer_id")
@click.option("--reason", required=True)
def reject(connection: Connection, transfer_id: str, reason: str) -> Any:
    """Reject a transfer addressed to you; the lot stays with the sender."""
    return connection.writer().submit(f"/v1/transfers/{transfer_id}/rejection", "lot.reject",
                                      {"transfer_id": transfer_id, "reason": reason})


@party_command()
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--input", "inputs", multiple=True, required=True, help="a lot you hold (repeat)")
@click.option("--output", "outputs", multiple=True, required=True,
              help="an output lot as JSON, or its mass in kg with --material (repeat)")
@click.option("--material", type=click.Choice(scrap_codes.MATERIAL_FAMILIES), help="material of outputs given in kg")
@click.option("--losses", default="0", show_default=True, help="stated losses in kg")
@click.option("--addition", "additions", multiple=True, help="primary metal added in a melt, MATERIAL=KG (repeat)")
@AT_SITE
def transform(connection: Connection, kind: str, inputs: tuple[str, ...], outputs: tuple[str, ...],
              material: str | None, losses: str, additions: tuple[str, ...], at_site: str | None) -> Any:
    """Split, sort, bale, blend or melt lots you hold into new lots."""
    if not all("=" in text for text in additions):
        raise click.BadParameter("give each addition as MATERIAL=KG", param_hint="--addition")
    added = [dict(zip(("material", "mass_kg"), text.rsplit("=", 1), strict=True)) for text in additions]
    body = {"kind": kind, "inputs": list(inputs), "outputs": [_output(text, material) for text in outputs],
            "losses_kg": losses, **({"additions": added} if added else {}), **({"site": at_site} if at_site else {})}
    return connection.writer().submit("/v1/transformations", "lot.transform", body)


def _output(text: str, material: str | None) -> Any:
    if KG.match(text):
        return {"material_family": material, "net_mass_kg": text}
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise click.BadParameter(f"{text!r} is neither a mass in kg nor JSON", param_hint="--output") from None


@party_command(render=_provenance_text)
@click.argument("lot_id")
def provenance(connection: Connection, lot_id: str) -> Any:
    """Show a lot's ancestry, from the lot down to its registrations."""
    return connection.reader().get(f"/v1/lots/{lot_id}/provenance")


COMMANDS = (lot, dispatch, receive, reject, transform, provenance)
