"""The write path every resource shares: a signed envelope in, one append out."""

from __future__ import annotations

from typing import Any

from flask import g

from ledger.entries import SignedSubmission
from ledger.errors import InvalidInput, LedgerError
from ledger.log import AppendResult, BatchOutcome, name_item

from .services import now, services


def append_batch(items: list[dict[str, Any]]) -> list[AppendResult]:
    """Append every signed submission of a batch as the authenticated party, all or nothing."""
    signed = []
    for position, item in enumerate(items):
        try:
            signed.append(SignedSubmission.create(item["submission"], item["signature"]))
        except LedgerError as error:
            name_item(error, position)
            raise
    return services().log.append_many(signed, actor=g.party, now=now())


def append_valid_items(items: list[dict[str, Any]], *, dry_run: bool) -> BatchOutcome:
    """Append (or, in a dry run, only check) the valid submissions of a batch; the outcome names every other one."""
    problems: dict[int, LedgerError] = {}
    signed: dict[int, SignedSubmission] = {}
    for position, item in enumerate(items):
        try:
            signed[position] = SignedSubmission.create(item["submission"], item["signature"])
        except LedgerError as error:
            problems[position] = error
    positions = list(signed)
    outcome = services().log.append_valid(list(signed.values()), actor=g.party, now=now(), dry_run=dry_run)
    results: list[AppendResult | None] = [None] * len(items)
    for at, position in enumerate(positions):
        results[position] = outcome.results[at]
    problems.update((positions[at], error) for at, error in outcome.problems.items())
    return BatchOutcome(results, dict(sorted(problems.items())), outcome.appended)


def append(payload: dict[str, Any], *allowed_types: str, **path: str) -> AppendResult:
    """Append the signed submission in `payload` as the authenticated party.

    `allowed_types` are the entry types this endpoint takes; `path` names body
    fields that must equal the resource named in the URL.
    """
    signed = SignedSubmission.create(payload["submission"], payload["signature"])
    if allowed_types and signed.type not in allowed_types:
        raise InvalidInput("submission.type", f"this endpoint takes {' or '.join(allowed_types)}")
    for name, value in path.items():
        if signed.body.get(name) != value:
            raise InvalidInput(f"submission.body.{name}", f"must equal the {name} in the URL")
    return services().log.append(signed, actor=g.party, now=now())
