"""The log service: append signed submissions, sign checkpoints, answer proofs.

`append` verifies the signature outside the write lock, then, inside the one
serialised transaction, checks the key history, idempotency and the rules of
the entry type, appends the entry and its Merkle nodes and updates the
projections. Nothing is half-written: any error rolls the whole append back.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import log_keys, merkle, parties
from .checkpoint import Checkpoint, NoteVerifier, open_checkpoint, sign_checkpoint
from .entries import GENESIS_PREV_HASH, Entry, SignedSubmission, format_time, parse_time
from .entry_types import Applied, lookup
from .errors import (
    EntryNotFound,
    InvalidInput,
    LedgerError,
    NotAuthorised,
    ProofError,
    StaleTimestamp,
    SubmissionConflict,
    UnknownKey,
)
from .signing import Signer, key_id
from .store import ReadTx, Store, StoredCheckpoint, StoredEntry, WriteTx


REPORT_CONTEXT = b"scrapledger verification report v1\n"


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What the submitter learns: where its entry landed and what it created."""

    index: int
    entry_hash: bytes
    recorded_at: str
    type: str
    result: dict[str, Any]
    replayed: bool = False
    token: str | None = None


class Log:
    """A scrapledger log bound to its store, its origin and its signing key."""

    def __init__(self, store: Store, signer: Signer, origin: str, *, timestamp_window: int = 300) -> None:
        self.store = store
        self.origin = origin
        self._signer = signer
        self.verifier = NoteVerifier.from_public_key(origin, signer.public_key)
        self.window = timedelta(seconds=timestamp_window)

    def append(self, signed: SignedSubmission, *, actor: str, now: datetime) -> AppendResult:
        """Append one signed submission made by `actor` (the token's party) and return where it landed."""
        return self.append_many([signed], actor=actor, now=now)[0]

    def append_many(self, batch: Sequence[SignedSubmission], *, actor: str, now: datetime) -> list[AppendResult]:
        """Append a batch in one transaction (group commit): every entry lands, or none does.

        Each submission is still its own signed entry. Signatures are verified
        before the write lock is taken; inside it, the key history is checked
        again, then each entry is applied in order, so an entry may act on a
        lot registered earlier in the same batch.
        """
        for position, signed in enumerate(batch):
            with _item(position, len(batch)):
                self._precheck(signed, actor, now)
        verified = self._verify_signatures(batch)
        with self.store.write() as tx:
            head = tx.head()
            appender = _Appender(tx, head.size, head.entry_hash or GENESIS_PREV_HASH,
                                 max(now, parse_time(head.recorded_at)) if head.recorded_at else now)
            results = []
            for position, signed in enumerate(batch):
                with _item(position, len(batch)):
                    results.append(self._append_one(tx, appender, signed, verified[position]))
            appender.flush()
            return results

    def _precheck(self, signed: SignedSubmission, actor: str, now: datetime) -> None:
        if signed.party != actor:
            raise NotAuthorised("the submission names another party than the token's", field="submission.party")
        if signed.submission["log"] != self.origin:
            raise InvalidInput("submission.log", f"must be this log's origin {self.origin}")
        if abs(parse_time(signed.submission["timestamp"]) - now) > self.window:
            raise StaleTimestamp(
                f"timestamp is more than {int(self.window.total_seconds())} s from server time",
                field="submission.timestamp",
            )
        lookup(signed.type).check(signed.body)

    def _verify_signatures(self, batch: Sequence[SignedSubmission]) -> list[bytes | None]:
        """Return, per submission, the public key its signature verified under (None: judge it under the lock)."""
        with self.store.read() as tx:
            keys = {key_id: tx.key(key_id) for key_id in {signed.key_id for signed in batch}}
        verified: list[bytes | None] = []
        for position, signed in enumerate(batch):
            key = keys.get(signed.key_id)
            if key is None or key.party_id != signed.party:
                verified.append(None)
                continue
            with _item(position, len(batch)):
                signed.verify(key.public_key)
            verified.append(key.public_key)
        return verified

    def _append_one(self, tx: WriteTx, appender: _Appender, signed: SignedSubmission,
                    verified_key: bytes | None) -> AppendResult:
        previous = appender.earlier(signed.submission_id) or tx.entry_by_submission(signed.submission_id)
        if previous is not None:
            return self._replay(previous.data, signed)
        public_key = self._signing_key(tx, signed, appender.size)
        if verified_key is None or not hmac.compare_digest(public_key, verified_key):
            signed.verify(public_key)
        entry_type = lookup(signed.type)
        entry = appender.add(signed)
        entry_type.apply(tx, Applied(signed.party, signed.body, entry.index, entry.recorded_at))
        token = parties.issue_token(tx, signed.body["party_id"], entry.recorded_at) if entry_type.issues_token else None
        return AppendResult(entry.index, entry.entry_hash, entry.recorded_at, signed.type,
                            entry_type.result(entry.index, signed.body), token=token)

    def _signing_key(self, tx: ReadTx, signed: SignedSubmission, index: int) -> bytes:
        if index == 0:
            keys = [bytes.fromhex(key) for key in signed.body.get("public_keys", [])]
            match = [key for key in keys if key_id(key) == signed.key_id]
            if signed.type != parties.REGISTER or not match:
                raise UnknownKey("the genesis entry must be signed by a key it registers", field="submission.key_id")
            return match[0]
        return parties.active_key(tx, signed.party, signed.key_id, index)

    def _replay(self, stored: bytes, signed: SignedSubmission) -> AppendResult:
        entry = Entry.from_bytes(stored)
        if not hmac.compare_digest(entry.signed.canonical, signed.canonical):
            raise SubmissionConflict(
                "this submission id was already used for a different submission", field="submission.submission_id"
            )
        result = lookup(entry.signed.type).result(entry.index, entry.signed.body)
        return AppendResult(entry.index, entry.entry_hash, entry.recorded_at, entry.signed.type, result, replayed=True)

    def checkpoint(self, now: datetime) -> StoredCheckpoint:
        """Return a checkpoint of the current tree signed by the current log key, signing one if needed.

        A checkpoint stored before a log key rotation is signed by the old key
        alone; for that size the cosigned transition note is served instead.
        """
        with self.store.read() as tx:
            latest = tx.latest_checkpoint()
            if latest is not None and latest.size == tx.head().size:
                return self._by_current_key(tx, latest)
        with self.store.write() as tx:
            log_keys.require_current(tx, self._signer)  # a server still holding a retired key must not sign
            latest = tx.latest_checkpoint()
            size = tx.head().size
            if latest is not None and latest.size == size:
                return self._by_current_key(tx, latest)
            root = merkle.root(size, tx.nodes(merkle.root_keys(size)))
            note = sign_checkpoint(Checkpoint(self.origin, size, root), self._signer)
            tx.insert_checkpoint(size, root, note, format_time(now))
            return StoredCheckpoint(size, root, note, format_time(now))

    def _by_current_key(self, tx: ReadTx, stored: StoredCheckpoint) -> StoredCheckpoint:
        if _signs(stored.note, self.verifier):
            return stored
        for transition in json.loads(tx.meta("log_key_transitions") or "[]"):
            if transition["size"] == stored.size and _signs(transition["note"], self.verifier):
                return StoredCheckpoint(stored.size, stored.root, transition["note"], stored.created_at)
        note = sign_checkpoint(Checkpoint(self.origin, stored.size, stored.root), self._signer)
        return StoredCheckpoint(stored.size, stored.root, note, stored.created_at)

    def sign_report(self, canonical_report: bytes) -> bytes:
        """Return the log key's signature over a verification report (domain-separated from checkpoints)."""
        return self._signer.sign(REPORT_CONTEXT + canonical_report)

    def entry(self, index: int) -> Entry:
        """Return the entry at `index` or raise EntryNotFound."""
        with self.store.read() as tx:
            stored = tx.entry(index)
        if stored is None:
            raise EntryNotFound(f"no entry has index {index}", field="index")
        return Entry.from_bytes(stored.data)

    def entries(self, start: int, limit: int) -> list[Entry]:
        """Return up to `limit` entries from index `start` on."""
        with self.store.read() as tx:
            return [Entry.from_bytes(stored.data) for stored in tx.entries(start, limit)]

    def size(self) -> int:
        """Return the number of entries in the log."""
        with self.store.read() as tx:
            return tx.head().size

    def inclusion_proof(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """Return the leaf hash of entry `index` and its audit path in the tree of `size` entries."""
        with self.store.read() as tx:
            self._check_size(tx, size, "tree_size")
            if not 0 <= index < size:
                raise ProofError(f"index {index} is outside a tree of size {size}", field="index")
            keys = merkle.inclusion_keys(index, size) + [(0, index)]
            nodes = tx.nodes(keys)
        return nodes[(0, index)], merkle.inclusion_proof(index, size, nodes)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof between the trees of `first` and `second` entries."""
        with self.store.read() as tx:
            self._check_size(tx, second, "second")
            if not 0 < first <= second:
                raise ProofError(f"need 0 < first <= second, got first={first} second={second}", field="first")
            return merkle.consistency_proof(first, second, tx.nodes(merkle.consistency_keys(first, second)))

    @staticmethod
    def _check_size(tx: ReadTx, size: int, field: str) -> None:
        current = tx.head().size
        if not 0 < size <= current:
            raise ProofError(f"{field} must be between 1 and the log size {current}, got {size}", field=field)


class _Appender:
    """Builds the entries of one transaction and writes them, with their Merkle nodes, in bulk."""

    def __init__(self, tx: WriteTx, size: int, prev_hash: bytes, moment: datetime) -> None:
        self._tx = tx
        self.size = size
        self._prev_hash = prev_hash
        self._recorded_at = format_time(moment)  # one record time per transaction, never before the head's
        self._entries: list[Entry] = []
        self._by_submission: dict[str, StoredEntry] = {}
        self._nodes: dict[merkle.NodeKey, bytes] = {}

    def earlier(self, submission_id: str) -> StoredEntry | None:
        """Return the entry this transaction already built for `submission_id`, if any."""
        return self._by_submission.get(submission_id)

    def add(self, signed: SignedSubmission) -> Entry:
        """Return the next entry for `signed`, chained to the one before it."""
        entry = Entry.build(self.size, self._prev_hash, self._recorded_at, signed)
        for key, value in merkle.appended_nodes(entry.index, entry.leaf_hash, self._node):
            self._nodes[key] = value
        self._entries.append(entry)
        self._by_submission[signed.submission_id] = StoredEntry(entry.index, entry.data, entry.entry_hash)
        self.size += 1
        self._prev_hash = entry.entry_hash
        return entry

    def flush(self) -> None:
        """Insert every built entry and node."""
        self._tx.insert_entries(self._entries)
        self._tx.insert_nodes(sorted(self._nodes.items()))

    def _node(self, key: merkle.NodeKey) -> bytes:
        return self._nodes[key] if key in self._nodes else self._tx.nodes([key])[key]


def _signs(note: str, verifier: NoteVerifier) -> bool:
    try:
        open_checkpoint(note, verifier)
    except LedgerError:
        return False
    return True


@contextmanager
def _item(position: int, count: int) -> Iterator[None]:
    """Name the batch item in any error raised for it (items[3].body.net_mass_kg)."""
    try:
        yield
    except LedgerError as error:
        if count > 1:
            field = error.fields.get("field")
            error.fields["field"] = f"items[{position}].{field}" if field else f"items[{position}]"
            error.detail = f"items[{position}]: {error.detail}"
        raise
