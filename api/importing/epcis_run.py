"""An EPCIS import run: a document's events in order, each signed by the importing party or found in the ledger.

The submission id of an event is `epcis-` and its CBV 2.0 event hash (of the
event as given, without its eventID), so importing the same document again
appends nothing: the server answers each event it holds as a replay (same
party, type and body under the id), with the ids it made. Events go in
batches of consecutive events; an event that needs an id the batch being
built will make is held until that batch is answered. An event another party
must sign is looked up by its submission id: if that party imported it, its
ids are learnt; if not, it is reported as left to that party.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger.entries import format_time
from ledger.entry_types import lookup
from ledger.epcis_hash import UnhashableEvent, event_hash
from ledger.epcis_import import Mapped, References, Unmapped, check_document, document_field, made_by, read_event

from ..client import ClientError, LedgerClient
from .run import ALREADY, IMPORTED, NOT_TRIED, REFUSED, VALID, ImportStopped, envelope

LEFT, UNMAPPED = "left to its party", "not mapped"


@dataclass(slots=True)
class EventOutcome:
    """What became of one event of the document (numbered from 1)."""

    number: int
    status: str
    event_hash: str = ""
    submission_id: str = ""
    entry_type: str = ""
    actor: str = ""
    index: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    field: str = ""
    rule: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class _Pending:
    outcome: EventOutcome
    mapped: Mapped


class EpcisImport:
    """Imports one EPCIS document as the client's party."""

    def __init__(self, client: LedgerClient, document: Any, *, glns: dict[str, str], batch_size: int = 100) -> None:
        self.client, self.batch_size = client, batch_size
        self.events, self.namespaces = check_document(document)
        self.refs = References(client.origin, glns=dict(glns),
                               made_here={uri: number for number, event in enumerate(self.events, start=1)
                                          for uri in made_by(event)})

    def outcomes(self, *, dry_run: bool = False) -> Iterator[EventOutcome]:
        """Yield every event's outcome, in document order, importing as it goes (nothing when `dry_run`)."""
        pending: list[_Pending] = []
        for number, event in enumerate(self.events, start=1):
            outcome = EventOutcome(number, REFUSED)
            try:
                outcome.event_hash = event_hash({k: v for k, v in event.items() if k != "eventID"}, self.namespaces)
            except (UnhashableEvent, AttributeError) as error:
                yield _unmapped(outcome, getattr(error, "field", "event"), getattr(error, "rule", "must be an object"))
                continue
            outcome.submission_id = "epcis-" + outcome.event_hash.split(";", 1)[1][:64]
            mapped, sent = self._read(event, pending, dry_run)
            yield from sent
            if isinstance(mapped, Unmapped):
                yield from self._flushed(pending, dry_run)
                yield _unmapped(outcome, mapped.field, mapped.rule)
                continue
            outcome.entry_type, outcome.actor = mapped.entry_type, mapped.actor
            outcome.note = "; ".join(f"{path} ignored: no ledger field" for path in mapped.ignored)
            if mapped.actor != self.client.party_id:
                yield from self._flushed(pending, dry_run)
                yield self._elsewhere(outcome, mapped)
                continue
            pending.append(_Pending(outcome, mapped))
            if len(pending) >= self.batch_size:
                yield from self._flushed(pending, dry_run)
        yield from self._flushed(pending, dry_run)

    def _read(self, event: Any, pending: list[_Pending], dry_run: bool
              ) -> tuple[Mapped | Unmapped, list[EventOutcome]]:
        """Return the event mapped (or why not) and the outcomes of the pending batch if it had to be sent first.

        An event naming an id the pending batch will make cannot be read until
        that batch is answered.
        """
        try:
            return read_event(event, self.refs, self.client.party_id), []
        except Unmapped as error:
            if not pending:
                return error, []
        sent = list(self._flushed(pending, dry_run))
        try:
            return read_event(event, self.refs, self.client.party_id), sent
        except Unmapped as error:
            return error, sent

    def _flushed(self, pending: list[_Pending], dry_run: bool) -> Iterator[EventOutcome]:
        if pending:
            batch = list(pending)
            pending.clear()
            yield from self._send(batch, dry_run)

    def _send(self, batch: list[_Pending], dry_run: bool) -> list[EventOutcome]:
        """Send a batch (skip mode), again for what the server did not try; learn the ids each event made."""
        todo = batch
        while todo:
            now = format_time(datetime.now(UTC))
            items = b",".join(envelope(self.client.sign(item.mapped.entry_type, item.mapped.body,
                                                        item.outcome.submission_id, now)) for item in todo)
            payload = b'{"items":[' + items + b'],"invalid_items":"skip","dry_run":' + json.dumps(dry_run).encode() + b"}"
            try:
                answer = self.client.post("/v1/batches", payload)
            except ClientError as error:
                raise ImportStopped(f"the server refused the batch: {error}") from None
            problems = {problem["item"]: problem for problem in answer["problems"]}
            retry = []
            for position, item in enumerate(todo):
                problem, result = problems.get(position), answer["results"][position]
                if problem is not None and problem["title"] == NOT_TRIED:
                    retry.append(item)
                elif result is not None:
                    item.outcome.status = ALREADY if result["replayed"] else VALID if dry_run else IMPORTED
                    item.outcome.index, item.outcome.result = result["index"], result["result"]
                    self.refs.learn(item.mapped, result["result"])
                else:
                    refused = problem.get("field", "") if problem else ""
                    item.outcome.field = document_field(item.mapped.entry_type, refused) if refused else ""
                    item.outcome.rule = (problem.get("rule") or problem["detail"]) if problem else "refused"
                    if refused and item.outcome.field != refused:
                        item.outcome.rule += f" ({refused})"
            todo = retry
        return [item.outcome for item in batch]

    def _elsewhere(self, outcome: EventOutcome, mapped: Mapped) -> EventOutcome:
        """Return the outcome of another party's event: found in the ledger under its id, or left to that party."""
        try:
            entry = self.client.get(f"/v1/submissions/{outcome.submission_id}")
        except ClientError as error:
            if error.status != 404:
                raise ImportStopped(f"cannot look up {outcome.submission_id}: {error}") from None
            outcome.status, outcome.rule = LEFT, f"{mapped.actor} signs this event: import the document as that party"
            return outcome
        submission = entry["submission"]
        if (submission["party"], submission["type"], submission["body"]) != (mapped.actor, mapped.entry_type,
                                                                             mapped.body):
            outcome.field, outcome.rule = "submission_id", "the ledger holds a different entry under this event's id"
            return outcome
        outcome.status, outcome.index = ALREADY, entry["index"]
        outcome.result = lookup(mapped.entry_type).result(entry["index"], mapped.body)
        self.refs.learn(mapped, outcome.result)
        return outcome


def _unmapped(outcome: EventOutcome, field_name: str, rule: str) -> EventOutcome:
    outcome.status, outcome.field, outcome.rule = UNMAPPED, field_name, rule
    return outcome
