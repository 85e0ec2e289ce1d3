"""Long auditor work as background jobs they poll: a full-log verification, an export to download.

No request waits for either: the request starts (or finds) the job and returns; a
thread does the work and writes its progress into the job's row, which any
worker can read.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .audit import verify_store
from .entries import format_time, parse_time
from .errors import ChainBroken, LedgerError
from .export import export_archive
from .log import Log
from .store import AuditJob

STALE_AFTER = timedelta(seconds=120)  # a running job not heard from this long died with its worker
PROGRESS_EVERY = 2000
KEEP_EXPORTS = 3  # archives kept in the export directory; older ones are deleted when a new one is done

Work = Callable[[str, Callable[[int], None]], dict[str, Any]]  # (job id, progress) -> result


def current_job(log: Log, requested_by: str, now: datetime) -> AuditJob:
    """Return the running verification, or the finished one if it covers the current log, or start one."""
    return _current(log, "verification", requested_by, now, lambda _job_id, progress: _verify(log, progress))


def current_export(log: Log, requested_by: str, now: datetime, directory: Path) -> AuditJob:
    """Return the running export, or the finished one if it covers the current log, or start one.

    The export is one ZIP archive in `directory`: the entries, a checkpoint signed
    for them, the log key and how to verify them (`export.export_archive`).
    """
    return _current(log, "export", requested_by, now,
                    lambda job_id, progress: _export(log, directory, job_id, progress))


def job(log: Log, job_id: str, kind: str) -> AuditJob | None:
    """Return the job of this kind with this id, if any."""
    with log.store.read() as tx:
        found = tx.audit_job(job_id)
    return found if found is not None and found.kind == kind else None


def latest(log: Log, kind: str) -> AuditJob | None:
    """Return the most recent job of this kind, without starting one."""
    with log.store.read() as tx:
        return tx.latest_audit_job(kind)


def archive_path(directory: Path, finished: AuditJob) -> Path | None:
    """Return the archive a finished export wrote, if it is still on disk."""
    if finished.kind != "export" or finished.status != "passed" or not finished.result:
        return None
    path = directory / str(finished.result["file"])
    return path if path.is_file() else None


def _current(log: Log, kind: str, requested_by: str, now: datetime, work: Work) -> AuditJob:
    with log.store.write() as tx:
        latest_job = tx.latest_audit_job(kind)
        size = tx.head().size
        if latest_job is not None:
            alive = latest_job.status == "running" and now - parse_time(latest_job.updated_at) < STALE_AFTER
            current = latest_job.status != "running" and latest_job.tree_size == size
            if alive or current:
                return latest_job
        job_id = uuid.uuid4().hex
        new = AuditJob(job_id, kind, requested_by, "running", size, 0, format_time(now), format_time(now), None, None)
        tx.insert_audit_job(new)
    threading.Thread(target=run_job, args=(log, job_id, work), name=f"{kind}-{job_id[:8]}", daemon=True).start()
    return new


def run_job(log: Log, job_id: str, work: Work, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    """Do the job's work, reporting progress into its row, and record the outcome."""
    done = 0
    last_report = time.monotonic()

    def progress(count: int) -> None:
        nonlocal done, last_report
        done += count
        if done % PROGRESS_EVERY == 0 or time.monotonic() - last_report > 1.0:
            _update(log, job_id, verified=done, updated_at=format_time(clock()))
            last_report = time.monotonic()

    try:
        result = work(job_id, progress)
    except ChainBroken as broken:
        _update(log, job_id, status="failed", verified=done, updated_at=format_time(clock()),
                finished_at=format_time(clock()), result={"index": broken.index, "reason": broken.reason})
    except (LedgerError, OSError) as error:
        _update(log, job_id, status="error", verified=done, updated_at=format_time(clock()),
                finished_at=format_time(clock()), result={"reason": getattr(error, "detail", str(error))})
    else:
        _update(log, job_id, status="passed", verified=result["size"], tree_size=result["size"],
                updated_at=format_time(clock()), finished_at=format_time(clock()), result=result)


def _verify(log: Log, progress: Callable[[int], None]) -> dict[str, Any]:
    result = verify_store(log.store, log.verifier, progress)
    return {"size": result.size, "root": result.root.hex(), "checkpoints_checked": result.checkpoints_checked}


def _export(log: Log, directory: Path, job_id: str, progress: Callable[[int], None]) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f"{job_id}.zip.part"
    try:
        with partial.open("wb") as out:
            size = export_archive(log, out, datetime.now(UTC), progress)
        name = f"scrapledger-export-{size}-{job_id[:8]}.zip"
        partial.replace(directory / name)
    finally:
        partial.unlink(missing_ok=True)
    for old in sorted(directory.glob("scrapledger-export-*.zip"), key=lambda p: p.stat().st_mtime)[:-KEEP_EXPORTS]:
        old.unlink(missing_ok=True)
    return {"size": size, "file": name, "bytes": (directory / name).stat().st_size}


def _update(log: Log, job_id: str, **changes: object) -> None:
    with log.store.write() as tx:
        tx.update_audit_job(job_id, **changes)
