"""Verification reports as self-contained evidence, and their offline re-check.

A report carries the checks, every entry they relied on (plus the key history
that signed them), each entry's inclusion proof under one signed checkpoint,
and the log's vkey. The whole report is signed by the log key over
`REPORT_CONTEXT || JCS(report without "signature")`, so altering any byte
fails; the evidence lets the holder re-prove every entry with no server.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import merkle, signing
from .canonical import canonicalize
from .checkpoint import NoteVerifier, open_checkpoint
from .declarations import describe
from .entries import Entry, format_time
from .errors import ChainBroken, InvalidInput, LedgerError, MalformedCheckpoint, NotAuthorised
from .integrity import check_entry_signature
from .log import REPORT_CONTEXT, Log
from .lots import may_read_everything
from .parties import KeyRing
from .store import DeclarationRecord, ReadTx
from .validation import lowercase_hex
from .verification import Check, Policy, run_checks, verdict


def verify_declaration(log: Log, declaration: DeclarationRecord, policy: Policy, now: datetime) -> dict[str, Any]:
    """Return the signed report on a declaration, evidence included."""
    checkpoint = log.checkpoint(now)
    with log.store.read() as tx:
        checks = run_checks(tx, declaration, policy)
        cited = sorted({index for check in checks for index in check.entries})
        evidence_indexes = _with_key_history(tx, cited, checkpoint.size)
        nodes_needed = [key for index in evidence_indexes for key in merkle.inclusion_keys(index, checkpoint.size)]
        nodes = tx.nodes(nodes_needed)
        stored = {index: tx.entry(index) for index in evidence_indexes}
    evidence, intact = [], []
    for index in evidence_indexes:
        row = stored[index]
        assert row is not None
        proof = merkle.inclusion_proof(index, checkpoint.size, nodes)
        try:
            entry = Entry.from_bytes(row.data)
            merkle.verify_inclusion(index, checkpoint.size, entry.leaf_hash, proof, checkpoint.root)
            intact.append(index)
        except LedgerError:
            entry_json: Any = json.loads(row.data)
        else:
            entry_json = entry.to_json()
        evidence.append({"index": index, "entry": entry_json, "inclusion_proof": [node.hex() for node in proof]})
    broken = sorted(set(evidence_indexes) - set(intact))
    checks.append(Check(
        "integrity", "fail" if broken else "pass",
        f"Entries {broken} do not match the tree under the signed checkpoint." if broken else
        f"All {len(intact)} entries involved are included under the checkpoint of size {checkpoint.size}.",
        tuple(broken or intact)))
    report = {
        "declaration_id": declaration.declaration_id,
        "declaration": {"issuer": declaration.issuer, "recipient": declaration.recipient,
                        "lot_id": declaration.lot_id, "entry_index": declaration.entry_index,
                        "body": declaration.body},
        "verdict": verdict(checks),
        "checks": [{"name": c.name, "status": c.status, "reason": c.reason, "entries": list(c.entries)}
                   for c in checks],
        "policy": {"high_risk_list": {"source": policy.high_risk.source, "date": policy.high_risk.date,
                                      "countries": sorted(policy.high_risk.countries)},
                   "mass_tolerance": str(policy.tolerance), "flagged_transfers": policy.flagged_transfers},
        "verified_at": format_time(now),
        "evidence": {"log_vkey": log.verifier.to_vkey(), "checkpoint": checkpoint.note, "entries": evidence},
    }
    report["signature"] = log.sign_report(canonicalize(report)).hex()
    return report


def _with_key_history(tx: ReadTx, cited: list[int], size: int) -> list[int]:
    """Return the cited entries plus every entry needed to know which key signed each of them."""
    wanted, queue = set(), [index for index in cited if index < size]
    while queue:
        index = queue.pop()
        if index in wanted:
            continue
        wanted.add(index)
        stored = tx.entry(index)
        if stored is None:
            continue
        try:
            signed = Entry.from_bytes(stored.data).signed
        except LedgerError:
            continue
        key = tx.key(signed.key_id)
        if key is not None:
            queue.extend(i for i in (key.added_at, key.ended_at) if i is not None and i < size)
    return sorted(wanted)


@dataclass(frozen=True, slots=True)
class CheckedReport:
    """What an offline re-check established."""

    declaration_id: str
    verdict: str
    tree_size: int
    root: bytes
    entries: int
    vkey: str


def check_report(report: Any, trusted_vkey: str | None = None) -> CheckedReport:
    """Return what a report proves with no server; raise LedgerError if anything in it is wrong.

    The log key comes from `trusted_vkey` when given (pin it), else from the report.
    """
    if not isinstance(report, dict) or "signature" not in report or "evidence" not in report:
        raise InvalidInput("report", "is not a scrapledger verification report")
    vkey = trusted_vkey.strip() if trusted_vkey else str(report["evidence"].get("log_vkey", ""))
    verifier = NoteVerifier.from_vkey(vkey)
    if trusted_vkey and report["evidence"].get("log_vkey") != verifier.to_vkey():
        raise MalformedCheckpoint("the report names another log key than the trusted one")
    unsigned = {name: value for name, value in report.items() if name != "signature"}
    signature = lowercase_hex(report["signature"], 64, "signature")
    signing.verify(verifier.public_key, signature, REPORT_CONTEXT + canonicalize(unsigned))
    checkpoint = open_checkpoint(report["evidence"]["checkpoint"], verifier)
    keyring, seen = KeyRing(), set()
    entries = sorted(report["evidence"]["entries"], key=lambda item: item["index"])
    for item in entries:
        entry = Entry.from_bytes(canonicalize(item["entry"]))
        if entry.index != item["index"]:
            raise ChainBroken(item["index"], "evidence entry carries another index")
        proof = [bytes.fromhex(node) for node in item["inclusion_proof"]]
        merkle.verify_inclusion(entry.index, checkpoint.size, entry.leaf_hash, proof, checkpoint.root)
        check_entry_signature(entry.index, entry, keyring, verifier.name)
        keyring.apply(entry.signed.type, entry.signed.submission["body"], entry.index)
        seen.add(entry.index)
    for check in report["checks"]:
        missing = set(check["entries"]) - seen
        if missing:
            raise InvalidInput("checks", f"check {check['name']} cites entries {sorted(missing)} not in the evidence")
    statuses = [Check(c["name"], c["status"], c["reason"], tuple(c["entries"])) for c in report["checks"]]
    if not hmac.compare_digest(verdict(statuses), str(report["verdict"])):
        raise InvalidInput("verdict", "does not follow from the checks")
    return CheckedReport(str(report["declaration_id"]), str(report["verdict"]), checkpoint.size, checkpoint.root,
                         len(entries), verifier.to_vkey())


def report_for(log: Log, reader: str, declaration_id: str, policy: Policy, now: datetime) -> dict[str, Any]:
    """Return the signed report for a reader allowed to verify (recipient, auditor, operator), recording the verdict."""
    with log.store.read() as tx:
        declaration = describe(tx, reader, declaration_id)
        if reader != declaration.recipient and not may_read_everything(tx, reader):
            raise NotAuthorised("only the recipient, an auditor or an operator may verify a declaration",
                                field="declaration_id")
    report = verify_declaration(log, declaration, policy, now)
    failed = [check["name"] for check in report["checks"] if check["status"] == "fail"]
    with log.store.write() as tx:
        tx.record_verdict(declaration_id, report["verdict"], failed, report["verified_at"],
                          open_checkpoint(report["evidence"]["checkpoint"], log.verifier).size)
    return report
