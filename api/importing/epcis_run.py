"""An EPCIS import run: a document's events in order, each signed by the importing party or found in the ledger.

The submission id of an event is `<party>:epcis-` and its CBV 2.0 event hash
(of the event as given, without its eventID), an id only that party may use
(format.md 3.4), so importing the same document again appends nothing: the
server answers each event it holds as a replay (same party, type and body
under the id), with the ids it made. Events go in batches; an event that needs
an id the batch being built will make is held until that batch is answered,
and outcomes come out in document order. An event another party must sign is
looked up by that party's submission id: if that party imported it, its ids
are learnt; if not, it is reported as left to that party.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger.entries import format_time
from ledger.errors import LedgerError
from ledger.entry_types import lookup
from ledger.epcis_hash import UnhashableEvent, event_hash
from ledger.epcis_import import (MAX_DEPTH, Mapped, NotYetKnown, References, Unmapped, check_document, document_field,
                                 in_sl_spelling, made_by, read_event, too_deep)

from ..client import ClientError, LedgerClient
from .run import ALREADY, IMPORTED, NOT_TRIED, REFUSED, VALID, ImportStopped, envelope

LEFT, UNMAPPED, NOT_SENT = "left to its party", "not mapped", "not sent"


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

    def __init__(self, client: LedgerClient, document: Any, *, parties: dict[str, str], batch_size: int = 100) -> None:
        """`parties` names the party ids of URIs another system uses for parties (a GLN's Digital Link)."""
        self.client, self.batch_size = client, batch_size
        self.events, self.namespaces = check_document(document)
        self.refs = References(client.origin, parties=dict(parties),
                               made_here={uri: number for number, event in enumerate(self.events, start=1)
                                          for uri in made_by(event)})

    def outcomes(self, *, dry_run: bool = False) -> Iterator[EventOutcome]:
        """Yield every event's outcome, in document order, importing as it goes (nothing when `dry_run`)."""
        pending: list[_Pending] = []
        unreported: deque[EventOutcome] = deque()  # in document order; those from the first pending event on wait
        try:
            for number, event in enumerate(self.events, start=1):
                outcome = EventOutcome(number, REFUSED)
                unreported.append(outcome)
                self._decide(outcome, event, pending, dry_run)
                yield from _ready(unreported, pending)
            self._flush(pending, dry_run)
        except ImportStopped:
            for held in unreported:  # decided ones keep their outcome; the rest were never sent
                if held.status == REFUSED and not held.rule:
                    held.status, held.rule = NOT_SENT, "the import stopped before this event was sent: run it again"
            yield from unreported
            raise
        yield from _ready(unreported, pending)

    def _decide(self, outcome: EventOutcome, event: Any, pending: list[_Pending], dry_run: bool) -> None:
        """Map one event: refuse it, look it up (another party's), or add it to the pending batch."""
        if too_deep(event):
            return _unmapped(outcome, "event", f"nests arrays or objects deeper than {MAX_DEPTH} levels")
        try:
            outcome.event_hash = event_hash({key: value for key, value in event.items() if key != "eventID"}
                                            if isinstance(event, dict) else event, self.namespaces)
        except UnhashableEvent as error:
            return _unmapped(outcome, error.field, error.rule)
        mapped = self._read(in_sl_spelling(event, self.namespaces), pending, dry_run)
        if isinstance(mapped, Unmapped):
            return _unmapped(outcome, mapped.field, mapped.rule)
        outcome.entry_type, outcome.actor = mapped.entry_type, mapped.actor
        outcome.submission_id = f"{mapped.actor}:epcis-{outcome.event_hash.split(';', 1)[1][:56]}"
        outcome.note = "; ".join(f"{path} ignored: no ledger field" for path in mapped.ignored)
        if mapped.actor != self.client.party_id:
            return self._elsewhere(outcome, mapped)
        pending.append(_Pending(outcome, mapped))
        if len(pending) >= self.batch_size:
            self._flush(pending, dry_run)

    def _read(self, event: Any, pending: list[_Pending], dry_run: bool) -> Mapped | Unmapped:
        """Return the event mapped, or why not.

        An event naming a lot or transfer an earlier event makes may name the
        pending batch's: then the batch is sent, and the event read again.
        """
        try:
            return read_event(event, self.refs, self.client.party_id)
        except NotYetKnown as error:
            if not pending:
                return error
        except Unmapped as error:
            return error
        self._flush(pending, dry_run)
        try:
            return read_event(event, self.refs, self.client.party_id)
        except Unmapped as error:
            return error

    def _flush(self, pending: list[_Pending], dry_run: bool) -> None:
        if pending:
            self._send(list(pending), dry_run)
            pending.clear()

    def _send(self, batch: list[_Pending], dry_run: bool) -> None:
        """Send a batch (skip mode), again for what the server did not try; learn the ids each event made.

        A body the ledger cannot sign (a JSON number where it wants text) is refused here, naming its field;
        a batch larger than the server takes is sent in halves, and a single event too large is refused.
        """
        todo = batch
        while todo:
            now = format_time(datetime.now(UTC))
            signed = []
            for item in todo:
                try:
                    signed.append((item, envelope(self.client.sign(item.mapped.entry_type, item.mapped.body,
                                                                   item.outcome.submission_id, now))))
                except LedgerError as error:  # the fields of a submission not signed are named as the server's are
                    _refused(item, str(error.fields.get("field", "")).removeprefix("submission."),
                             error.fields.get("rule") or error.detail)
            if not signed:
                return
            items = b",".join(envelope_bytes for _, envelope_bytes in signed)
            payload = b'{"items":[' + items + b'],"invalid_items":"skip","dry_run":' + json.dumps(dry_run).encode() + b"}"
            try:
                answer = self.client.post("/v1/batches", payload)
            except OSError as error:
                raise ImportStopped(f"cannot reach the server: {error}") from None
            except ClientError as error:
                if error.status != 413:
                    raise ImportStopped(f"the server refused the batch: {error}") from None
                if len(signed) == 1:
                    _refused(signed[0][0], "event", "is larger than the server takes in one request")
                    return
                half = len(signed) // 2
                self._send([item for item, _ in signed[:half]], dry_run)
                self._send([item for item, _ in signed[half:]], dry_run)
                return
            problems = {problem["item"]: problem for problem in answer["problems"]}
            retry = []
            for position, (item, _) in enumerate(signed):
                problem, result = problems.get(position), answer["results"][position]
                if problem is not None and problem["title"] == NOT_TRIED:
                    retry.append(item)
                elif result is not None:
                    item.outcome.status = ALREADY if result["replayed"] else VALID if dry_run else IMPORTED
                    item.outcome.index, item.outcome.result = result["index"], result["result"]
                    self.refs.learn(item.mapped, result["result"])
                else:
                    _refused(item, problem.get("field", "") if problem else "",
                             (problem.get("rule") or problem["detail"]) if problem else "refused")
            todo = retry

    def _elsewhere(self, outcome: EventOutcome, mapped: Mapped) -> None:
        """Decide the outcome of another party's event: found in the ledger under its id, or left to that party."""
        try:
            entry = self.client.get(f"/v1/submissions/{outcome.submission_id}")
        except OSError as error:
            raise ImportStopped(f"cannot reach the server: {error}") from None
        except ClientError as error:
            if error.status != 404:
                raise ImportStopped(f"cannot look up {outcome.submission_id}: {error}") from None
            outcome.status, outcome.rule = LEFT, f"{mapped.actor} signs this event: import the document as that party"
            return
        submission = entry["submission"]
        if (submission["party"], submission["type"], submission["body"]) != (mapped.actor, mapped.entry_type,
                                                                             mapped.body):
            outcome.field, outcome.rule = "submission_id", "the ledger holds a different entry under this event's id"
            return
        outcome.status, outcome.index = ALREADY, entry["index"]
        outcome.result = lookup(mapped.entry_type).result(entry["index"], mapped.body)
        self.refs.learn(mapped, outcome.result)


def _ready(unreported: deque[EventOutcome], pending: list[_Pending]) -> Iterator[EventOutcome]:
    """Yield (and drop) the outcomes before the first event still waiting in the pending batch."""
    waiting = pending[0].outcome.number if pending else None
    while unreported and unreported[0].number != waiting:
        yield unreported.popleft()


def _refused(item: _Pending, ledger_field: str, rule: str) -> None:
    """Mark an event refused by the ledger, naming the event's field with the ledger's beside the rule."""
    item.outcome.status = REFUSED
    item.outcome.field = document_field(item.mapped.entry_type, ledger_field) if ledger_field else ""
    item.outcome.rule = rule + (f" ({ledger_field})" if ledger_field and item.outcome.field != ledger_field else "")


def _unmapped(outcome: EventOutcome, field_name: str, rule: str) -> None:
    outcome.status, outcome.field, outcome.rule = UNMAPPED, field_name, rule
