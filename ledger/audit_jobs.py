"""Full-log verification for auditors as a background job they poll, so no request blocks for minutes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from .audit import verify_store
from .entries import format_time, parse_time
from .errors import ChainBroken, LedgerError
from .log import Log
from .store import AuditJob

STALE_AFTER = timedelta(seconds=120)  # a running job not heard from this long died with its worker
PROGRESS_EVERY = 2000


def current_job(log: Log, requested_by: str, now: datetime) -> AuditJob:
    """Return the running job, or the finished one if it covers the current log, or start a new one."""
    with log.store.write() as tx:
        latest = tx.latest_audit_job()
        size = tx.head().size
        if latest is not None:
            alive = latest.status == "running" and now - parse_time(latest.updated_at) < STALE_AFTER
            current = latest.status != "running" and latest.tree_size == size
            if alive or current:
                return latest
        job = AuditJob(uuid.uuid4().hex, requested_by, "running", size, 0, format_time(now), format_time(now),
                       None, None)
        tx.insert_audit_job(job)
    threading.Thread(target=run_job, args=(log, job.job_id), name=f"audit-{job.job_id[:8]}", daemon=True).start()
    return job


def job(log: Log, job_id: str) -> AuditJob | None:
    """Return the job with this id, if any."""
    with log.store.read() as tx:
        return tx.audit_job(job_id)


def run_job(log: Log, job_id: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    """Verify the whole log, reporting progress into the job row, and record the outcome."""
    done = 0
    last_report = time.monotonic()

    def progress(count: int) -> None:
        nonlocal done, last_report
        done += count
        if done % PROGRESS_EVERY == 0 or time.monotonic() - last_report > 1.0:
            _update(log, job_id, verified=done, updated_at=format_time(clock()))
            last_report = time.monotonic()

    try:
        result = verify_store(log.store, log.verifier, progress)
    except ChainBroken as broken:
        _update(log, job_id, status="failed", verified=done, updated_at=format_time(clock()),
                finished_at=format_time(clock()), result={"index": broken.index, "reason": broken.reason})
    except LedgerError as error:
        _update(log, job_id, status="error", verified=done, updated_at=format_time(clock()),
                finished_at=format_time(clock()), result={"reason": error.detail})
    else:
        _update(log, job_id, status="passed", verified=result.size, updated_at=format_time(clock()),
                finished_at=format_time(clock()),
                result={"size": result.size, "root": result.root.hex(), "checkpoints_checked": result.checkpoints_checked})


def _update(log: Log, job_id: str, **changes: object) -> None:
    with log.store.write() as tx:
        tx.update_audit_job(job_id, **changes)
