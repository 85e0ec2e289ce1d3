"""Offline export: the entries as JSON lines plus a signed checkpoint, and their verification."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from .canonical import canonicalize
from .checkpoint import NoteVerifier, open_checkpoint
from .errors import ChainBroken, InvalidInput
from .integrity import VerifiedLog, verify_entries
from .log import Log

CHUNK = 2000


def export(log: Log, entries_out: IO[bytes], checkpoint_out: IO[str], now: datetime) -> int:
    """Write every entry covered by a fresh signed checkpoint, one per line; return how many."""
    checkpoint = log.checkpoint(now)
    written = 0
    for data in stream_entry_bytes(log, checkpoint.size):
        entries_out.write(data + b"\n")
        written += 1
    checkpoint_out.write(checkpoint.note)
    return written


ARCHIVE_README = """This archive is an export of the scrapledger log {origin}.

entries.jsonl   the first {size} entries, one RFC 8785 canonical JSON entry per line
checkpoint.txt  the log's signed checkpoint of those {size} entries (C2SP signed note)
log-key.vkey    the log key the checkpoint was signed with, as the server gave it

Check it offline, with no database and no server:

    scrapledger verify-export entries.jsonl checkpoint.txt --log-key log-key.vkey

Trust log-key.vkey only after comparing it with the key the operator published;
docs/format.md says how an independent verifier checks every entry.
"""


def export_archive(log: Log, out: IO[bytes], now: datetime, progress: Callable[[int], None] | None = None) -> int:
    """Write one ZIP holding the export (entries, checkpoint), the log key and a README; return the size.

    The entries are streamed into the archive a chunk at a time: memory stays
    flat however long the log is.
    """
    checkpoint = log.checkpoint(now)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("entries.jsonl", "w", force_zip64=True) as entries_out:
            for count, data in enumerate(stream_entry_bytes(log, checkpoint.size), start=1):
                entries_out.write(data + b"\n")
                if progress is not None and count % CHUNK == 0:
                    progress(CHUNK)
        if progress is not None and checkpoint.size % CHUNK:
            progress(checkpoint.size % CHUNK)
        archive.writestr("checkpoint.txt", checkpoint.note)
        archive.writestr("log-key.vkey", log.verifier.to_vkey() + "\n")
        archive.writestr("README.txt", ARCHIVE_README.format(origin=log.origin, size=checkpoint.size))
    return checkpoint.size


def stream_entry_bytes(log: Log, size: int) -> Iterator[bytes]:
    """Yield the canonical bytes of entries 0..size-1, a chunk at a time."""
    start = 0
    while start < size:
        with log.store.read() as tx:
            chunk = tx.entries(start, min(CHUNK, size - start))
        if not chunk:
            return
        for stored in chunk:
            yield stored.data
        start = chunk[-1].index + 1


def verify_export(entries_path: Path, checkpoint_text: str, vkey: str,
                  progress: Callable[[int], None] | None = None) -> VerifiedLog:
    """Return what an exported log proves, with no database and no server; raise on any flaw."""
    verifier = NoteVerifier.from_vkey(vkey.strip())
    checkpoint = open_checkpoint(checkpoint_text, verifier)
    with entries_path.open("rb") as lines:
        result = verify_entries(_rows(lines), {checkpoint.size: checkpoint}, origin=verifier.name,
                                progress=progress)
    if result.size != checkpoint.size:
        raise ChainBroken(result.size, f"the export holds {result.size} entries, the checkpoint {checkpoint.size}")
    return result


def _rows(lines: IO[bytes]) -> Iterator[tuple[bytes, None]]:
    for position, line in enumerate(lines):
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise ChainBroken(position, f"line {position + 1} is not JSON") from exc
        try:
            data = canonicalize(value)
        except InvalidInput as exc:
            raise ChainBroken(position, f"line {position + 1}: {exc.detail}") from exc
        if line.rstrip(b"\n") != data:
            raise ChainBroken(position, f"line {position + 1} is not in RFC 8785 canonical form")
        yield data, None
