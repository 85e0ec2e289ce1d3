"""The log service: append signed submissions, sign checkpoints, answer proofs.

`append` verifies the signature outside the write lock, then, inside the one
serialised transaction, checks the key history, idempotency and the rules of
the entry type, appends the entry and its Merkle nodes and updates the
projections. Nothing is half-written: any error rolls the whole append back.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from . import log_keys, merkle, parties
from .checkpoint import Checkpoint, NoteVerifier, sign_checkpoint
from .entries import GENESIS_PREV_HASH, Entry, SignedSubmission, format_time, parse_time
from .entry_type import Applied
from .entry_types import lookup
from .errors import (
    EntryNotFound,
    InvalidInput,
    LedgerError,
    NotAuthorised,
    NotTried,
    ProofError,
    StaleTimestamp,
    SubmissionConflict,
    UnknownKey,
)
from .signing import Signer, key_id
from .store import ReadTx, Store, StoredCheckpoint, StoredEntry, Wanted, WriteTx


REPORT_CONTEXT = b"scrapledger verification report v1\n"
PARALLEL_VERIFY = 64  # a batch this long checks the second half of its signatures on another thread
MAX_REFUSED_UNDER_LOCK = 16  # a skip-invalid batch is applied again at most this often before the rest waits


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


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """Per item of a batch: its result, or the problem that kept it out (never both)."""

    results: list[AppendResult | None]
    problems: dict[int, LedgerError]
    appended: bool  # False after a dry run: the results say where the entries would have landed


class Log:
    """A scrapledger log bound to its store, its origin and its signing key."""

    def __init__(self, store: Store, signer: Signer, origin: str, *, timestamp_window: int = 300) -> None:
        self.store = store
        self.origin = origin
        self._signer = signer
        self.verifier = NoteVerifier.from_public_key(origin, signer.public_key)
        self.window = timedelta(seconds=timestamp_window)
        # key id -> (party, public key). A key id is the hash of its public key and is registered
        # once, so neither ever changes; whether the key may sign is judged under the write lock.
        self._public_keys: dict[str, tuple[str, bytes]] = {}

    def append(self, signed: SignedSubmission, *, actor: str, now: datetime) -> AppendResult:
        """Append one signed submission made by `actor` (the token's party) and return where it landed."""
        return self.append_many([signed], actor=actor, now=now, itemised=False)[0]

    def append_many(self, batch: Sequence[SignedSubmission], *, actor: str, now: datetime,
                    itemised: bool = True) -> list[AppendResult]:
        """Append a batch in one transaction (group commit): every entry lands, or none does.

        With `itemised`, an error names its item (`items[3].body.net_mass_kg`).

        Each submission is still its own signed entry. Signatures are verified
        before the write lock is taken; inside it, the key history is checked
        again, then each entry is applied in order, so an entry may act on a
        lot registered earlier in the same batch.
        """
        outcome = self._append(batch, actor, now, skip_invalid=False, dry_run=False, itemised=itemised)
        return [result for result in outcome.results if result is not None]

    def append_valid(self, batch: Sequence[SignedSubmission], *, actor: str, now: datetime,
                     dry_run: bool = False) -> BatchOutcome:
        """Append the batch's valid submissions in one transaction and name the problem of every other one.

        A submission refused under the lock (an unknown or closed transfer, a
        lot held by someone else) rolls the transaction back and the rest is
        applied again without it; after MAX_REFUSED_UNDER_LOCK of those, the
        items not yet applied are answered NotTried, so no batch holds the
        lock for long. The same submission signed again with another
        timestamp is answered as a replay of the entry holding its id. A
        `dry_run` checks everything exactly as an append would, under the
        lock, and rolls it back.
        """
        return self._append(batch, actor, now, skip_invalid=True, dry_run=dry_run, itemised=False)

    def _append(self, batch: Sequence[SignedSubmission], actor: str, now: datetime, *, skip_invalid: bool,
                dry_run: bool, itemised: bool) -> BatchOutcome:
        problems: dict[int, LedgerError] = {}

        def refuse(position: int, error: LedgerError) -> None:
            if not skip_invalid:
                if itemised:
                    name_item(error, position)
                raise error
            problems[position] = error

        keys = self._public_keys_of(batch)
        late = {position for position, signed in enumerate(batch)
                if abs(parse_time(signed.submission["timestamp"]) - now) > self.window}
        if late:  # only an identical retry of a stored submission may come late
            with self.store.read() as tx:
                retries = self._already_appended(tx, [batch[position] for position in late])
            late = {position for position in late if batch[position].submission_id not in retries}
        checked: list[Any] = [None] * len(batch)
        for position, signed in enumerate(batch):
            try:
                checked[position] = self._precheck(signed, actor, late=position in late)
            except LedgerError as error:
                refuse(position, error)
        verified = self._public_keys_verifying(batch, keys, problems)
        for position, failure in _failures(batch, verified):
            if not isinstance(failure, LedgerError):
                raise failure
            refuse(position, failure)
        resubmitted = self._resubmissions(batch, problems, verified) if skip_invalid else {}
        pending = [position for position in range(len(batch)) if position not in problems and position not in resubmitted]
        refused_under_lock = 0
        while pending:
            try:
                results = self._apply(batch, pending, actor, now, verified, checked,
                                      skip_invalid=skip_invalid, itemised=itemised, dry_run=dry_run)
            except _Refused as refused:
                problems[refused.position] = refused.error
                refused_under_lock += 1
                at = pending.index(refused.position)
                if refused_under_lock >= MAX_REFUSED_UNDER_LOCK:
                    for position in pending[at + 1:]:
                        problems[position] = NotTried("not tried: too many items of this batch were refused; "
                                                      "send it again", rule="not_tried")
                    pending = pending[:at]
                else:
                    del pending[at]
                continue
            except _RolledBack as rolled_back:
                results = rolled_back.results
            return BatchOutcome(_merged(results, resubmitted), problems, appended=not dry_run)
        return BatchOutcome(_merged([None] * len(batch), resubmitted), problems, appended=False)

    def _apply(self, batch: Sequence[SignedSubmission], pending: list[int], actor: str, now: datetime,
               verified: list[bytes | None], checked: list[Any], *, skip_invalid: bool, itemised: bool,
               dry_run: bool) -> list[AppendResult | None]:
        """Append the `pending` items of `batch` in one write transaction and return their results."""
        wanted = Wanted.union([Wanted(parties=(actor,), keys=[batch[position].key_id for position in pending]),
                               *(lookup(batch[position].type).wants(batch[position].body) for position in pending)])
        with self.store.write() as tx:
            head, stored, roots = tx.open_append([batch[position].submission_id for position in pending], wanted)
            appender = _Appender(head.size, head.entry_hash or GENESIS_PREV_HASH,
                                 max(now, parse_time(head.recorded_at)) if head.recorded_at else now, stored, roots)
            results: list[AppendResult | None] = [None] * len(batch)
            for position in pending:
                try:
                    results[position] = self._append_one(tx, appender, batch[position], verified[position],
                                                         checked[position])
                except LedgerError as error:
                    if skip_invalid:
                        raise _Refused(position, error) from None
                    if itemised:
                        name_item(error, position)
                    raise
            appender.flush(tx)
            if dry_run:
                raise _RolledBack([replace(result, token=None) if result else None for result in results])
        return results

    def _public_keys_of(self, batch: Sequence[SignedSubmission]) -> dict[str, tuple[str, bytes]]:
        """Return the known (party, public key) of the keys that signed `batch`, reading only unseen ones."""
        unseen = {signed.key_id for signed in batch} - self._public_keys.keys()
        if unseen:
            if len(self._public_keys) > 100_000:
                self._public_keys.clear()
            with self.store.read() as tx:
                for key_id in sorted(unseen):
                    record = tx.key(key_id)
                    if record is not None:
                        self._public_keys[key_id] = (record.party_id, record.public_key)
        return self._public_keys

    @staticmethod
    def _already_appended(tx: ReadTx, batch: Sequence[SignedSubmission]) -> set[str]:
        """Return the submission ids in `batch` the log already holds with exactly these bytes (retries)."""
        found = set()
        held = tx.entries_by_submission([signed.submission_id for signed in batch])
        for signed in batch:
            stored = held.get(signed.submission_id)
            if stored is not None and hmac.compare_digest(Entry.from_bytes(stored.data).signed.canonical,
                                                          signed.canonical):
                found.add(signed.submission_id)
        return found

    def _resubmissions(self, batch: Sequence[SignedSubmission], problems: dict[int, LedgerError],
                       verified: list[bytes | None]) -> dict[int, AppendResult]:
        """Settle, before the lock, the items whose submission id the log already holds.

        The same party, type and body signed again (a file imported twice
        without the timestamps it was first signed with) is answered as a
        replay of the entry that holds it; anything else under a taken id is a
        SubmissionConflict. Identical bytes are left to the append's own
        replay. Only a signature already verified under a known key of the
        party is answered so; the rest is judged under the lock. Under the
        lock each conflict would cost the batch a roll back.
        """
        with self.store.read() as tx:
            held = tx.entries_by_submission([signed.submission_id for position, signed in enumerate(batch)
                                             if position not in problems])
        settled = {}
        for position, signed in enumerate(batch):
            stored = held.get(signed.submission_id)
            if stored is None or position in problems:
                continue
            entry = Entry.from_bytes(stored.data)
            if hmac.compare_digest(entry.signed.canonical, signed.canonical):
                continue
            if verified[position] is not None and (entry.signed.party, entry.signed.type, entry.signed.body) == (
                    signed.party, signed.type, signed.body):
                settled[position] = AppendResult(entry.index, entry.entry_hash, entry.recorded_at, entry.signed.type,
                                                 lookup(entry.signed.type).result(entry.index, entry.signed.body),
                                                 replayed=True)
            else:
                problems[position] = SubmissionConflict(
                    "this submission id was already used for a different submission", field="submission.submission_id")
        return settled

    def _precheck(self, signed: SignedSubmission, actor: str, *, late: bool) -> Any:
        """Check what needs no lock and return what the entry type made of the body.

        `late` is a timestamp outside the window that is not an identical
        retry of a stored submission (a retry is not judged by the clock again).
        """
        if signed.party != actor:
            raise NotAuthorised("the submission names another party than the token's", field="submission.party")
        if signed.submission["log"] != self.origin:
            raise InvalidInput("submission.log", f"must be this log's origin {self.origin}")
        scope, colon, _ = signed.submission_id.partition(":")
        if colon and scope != signed.party:  # a party-scoped id (format.md 3.4): nobody else may take it first
            raise InvalidInput("submission.submission_id", "an id with ':' is the party's own: it begins with its party id")
        if late:
            raise StaleTimestamp(
                f"timestamp is more than {int(self.window.total_seconds())} s from server time",
                field="submission.timestamp",
            )
        return lookup(signed.type).check(signed.body)

    @staticmethod
    def _public_keys_verifying(batch: Sequence[SignedSubmission], keys: dict[str, tuple[str, bytes]],
                               problems: dict[int, LedgerError]) -> list[bytes | None]:
        """Return, per submission, the public key to verify it under now (None: judge it under the lock, or not at all)."""
        verified: list[bytes | None] = []
        for position, signed in enumerate(batch):
            party, public_key = keys.get(signed.key_id, ("", b""))
            verified.append(public_key if party == signed.party and position not in problems else None)
        return verified

    def _append_one(self, tx: WriteTx, appender: _Appender, signed: SignedSubmission,
                    verified_key: bytes | None, checked: Any) -> AppendResult:
        previous = appender.earlier(signed.submission_id)
        if previous is not None:
            return self._replay(previous.data, signed)
        public_key = self._signing_key(tx, signed, appender.size)
        if verified_key is None or not hmac.compare_digest(public_key, verified_key):
            signed.verify(public_key)
        entry_type = lookup(signed.type)
        entry = appender.add(signed)
        entry_type.apply(tx, Applied(signed.party, signed.body, entry.index, entry.recorded_at, checked))
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
        if log_keys.signed_by(stored.note, self.verifier):
            return stored
        for transition in json.loads(tx.meta("log_key_transitions") or "[]"):
            if transition["size"] == stored.size and log_keys.signed_by(transition["note"], self.verifier):
                return StoredCheckpoint(stored.size, stored.root, transition["note"], stored.created_at)
        note = sign_checkpoint(Checkpoint(self.origin, stored.size, stored.root), self._signer)
        return StoredCheckpoint(stored.size, stored.root, note, stored.created_at)

    def sign_report(self, canonical_report: bytes) -> bytes:
        """Return the log key's signature over a verification report (domain-separated from checkpoints)."""
        return self._signer.sign(REPORT_CONTEXT + canonical_report)

    def sign_proof(self, hash_data: bytes) -> bytes:
        """Return the log key's Ed25519 signature of a Data Integrity proof's 64-byte hash data.

        The message is two SHA-256 digests, never a note (text lines) nor a report
        (which carries REPORT_CONTEXT), so the three uses of the key cannot be confused.
        """
        if len(hash_data) != 64:
            raise ValueError("Data Integrity hash data is two SHA-256 digests")
        return self._signer.sign(hash_data)

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

    def __init__(self, size: int, prev_hash: bytes, moment: datetime, stored: dict[str, StoredEntry],
                 roots: dict[merkle.NodeKey, bytes]) -> None:
        self.size = size
        self._prev_hash = prev_hash
        self._recorded_at = format_time(moment)  # one record time per transaction, never before the head's
        self._entries: list[Entry] = []
        self._by_submission = dict(stored)  # the batch's submission ids already in the log, read under the lock
        self._nodes: dict[merkle.NodeKey, bytes] = {}
        # Every stored left sibling an append asks for is a root of the tree this transaction started from.
        self._roots = roots

    def earlier(self, submission_id: str) -> StoredEntry | None:
        """Return the entry the log holds or this transaction already built for `submission_id`, if any."""
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

    def flush(self, tx: WriteTx) -> None:
        """Insert every built entry and node."""
        tx.insert_entries(self._entries)
        tx.insert_nodes(sorted(self._nodes.items()))

    def _node(self, key: merkle.NodeKey) -> bytes:
        return self._nodes[key] if key in self._nodes else self._roots[key]


def _failures(batch: Sequence[SignedSubmission], keys: Sequence[bytes | None]) -> list[tuple[int, Exception]]:
    """Return the position and error of every signature that does not verify under its key, in order.

    Ed25519 verification releases the GIL: a long batch checks its second half
    on another core meanwhile.
    """
    half = len(batch) // 2 if len(batch) >= PARALLEL_VERIFY else len(batch)
    later = _verifier_pool().submit(_failures_in, batch, keys, half, len(batch)) if half < len(batch) else None
    failures = _failures_in(batch, keys, 0, half)
    return failures + (later.result() if later is not None else [])


def _failures_in(batch: Sequence[SignedSubmission], keys: Sequence[bytes | None], start: int,
                 stop: int) -> list[tuple[int, Exception]]:
    failures: list[tuple[int, Exception]] = []
    for position in range(start, stop):
        public_key = keys[position]
        if public_key is not None:
            try:
                batch[position].verify(public_key)
            except Exception as error:  # handed to the caller, which raises or reports it for its item
                failures.append((position, error))
    return failures


def _merged(results: list[AppendResult | None], settled: dict[int, AppendResult]) -> list[AppendResult | None]:
    """Return `results` with the items settled before the lock in their places."""
    for position, result in settled.items():
        results[position] = result
    return results


class _Refused(Exception):
    """An item of a batch appended with skip_invalid was refused under the lock: roll back, go on without it."""

    def __init__(self, position: int, error: LedgerError) -> None:
        super().__init__(position)
        self.position = position
        self.error = error


class _RolledBack(Exception):
    """A dry run's transaction is rolled back by raising this, with the results it would have had."""

    def __init__(self, results: list[AppendResult | None]) -> None:
        super().__init__("dry run")
        self.results = results


_pool: tuple[int, ThreadPoolExecutor] | None = None


def _verifier_pool() -> ThreadPoolExecutor:
    """Return this process's verifying thread (a new one after a fork, which does not copy threads)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="scrapledger-verify"))
    return _pool[1]


def name_item(error: LedgerError, position: int) -> None:
    """Prefix the error's field and detail with its batch item (items[3].body.net_mass_kg)."""
    field = error.fields.get("field")
    error.fields["field"] = f"items[{position}].{field}" if field else f"items[{position}]"
    error.detail = f"items[{position}]: {error.detail}"
