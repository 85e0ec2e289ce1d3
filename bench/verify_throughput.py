"""Target A: `verify` throughput against the machine's limit, and peak memory against ledger size.

The limit is the bare work no verifier can skip, on one core: SHA-256 of every
entry's bytes plus one `Ed25519PublicKey.verify` of its signature, over the same
entries held in memory with their key objects ready. The measured side is
`ledger.audit.verify_store` (what `scrapledger verify` runs) reading the SQLite
ledger. Each measurement runs in a fresh interpreter, so its peak RSS belongs to
that measurement alone.
"""

from __future__ import annotations

import gc
import hashlib
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.audit import verify_store
from ledger.checkpoint import NoteVerifier
from ledger.entries import Entry

from .ledgers import ORIGIN, Ledger, ledger

SIZES = (25_000, 100_000)
MIN_RATIO = 0.5
MAX_MEMORY_GROWTH = 1.10  # peak RSS at 100k may exceed the 25k one by at most 10%


@dataclass(frozen=True, slots=True)
class VerifyRun:
    size: int
    seconds: float
    cpu_seconds: float
    peak_rss_kib: int
    rss_before_kib: int


def run(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Return the report rows of target A, building the ledgers first if needed."""
    ledgers = [ledger(size, fresh=fresh) for size in SIZES]
    largest = ledgers[-1]
    # The limit is the better of two runs, one before and one after the verifications.
    first = _in_child(_limit_rates, largest)
    runs = [_in_child(_verify_run, each) for each in ledgers]
    second = _in_child(_limit_rates, largest)
    limit, cpu_limit = max(first[0], second[0]), max(first[1], second[1])
    big, small = runs[-1], runs[0]
    rate, cpu_rate = big.size / big.seconds, big.size / big.cpu_seconds
    growth = big.peak_rss_kib / small.peak_rss_kib
    rows = [
        {
            "name": f"verify throughput, {big.size:,} entries (wall clock)",
            "measured": f"{rate:,.0f} entries/s",
            "baseline": f"{limit:,.0f} entries/s (sha256 + Ed25519 verify)",
            "ratio": rate / limit,
            "target": f">= {MIN_RATIO:.2f}",
            "passed": rate / limit >= MIN_RATIO,
        },
        {
            "name": f"verify throughput, {big.size:,} entries (CPU time)",
            "measured": f"{cpu_rate:,.0f} entries/s",
            "baseline": f"{cpu_limit:,.0f} entries/s (sha256 + Ed25519 verify)",
            "ratio": cpu_rate / cpu_limit,
            "target": f">= {MIN_RATIO:.2f}",
            "passed": cpu_rate / cpu_limit >= MIN_RATIO,
        },
        {
            "name": f"verify peak RSS, {small.size:,} -> {big.size:,} entries",
            "measured": f"{big.peak_rss_kib / 1024:.1f} MiB at {big.size:,}",
            "baseline": f"{small.peak_rss_kib / 1024:.1f} MiB at {small.size:,}",
            "ratio": growth,
            "target": f"<= {MAX_MEMORY_GROWTH:.2f} (flat)",
            "passed": growth <= MAX_MEMORY_GROWTH,
        },
    ]
    for each in runs:
        rows.append({
            "name": f"  detail: verify {each.size:,} entries",
            "measured": f"{each.seconds:.2f} s wall, {each.cpu_seconds:.2f} s CPU",
            "baseline": f"RSS {each.rss_before_kib / 1024:.1f} MiB before, peak +"
                        f"{(each.peak_rss_kib - each.rss_before_kib) / 1024:.1f} MiB during verify",
            "ratio": None, "target": "", "passed": None,
        })
    return rows


def _in_child(function: Any, argument: Any) -> Any:
    """Return `function(argument)` computed in a fresh interpreter (one task per process)."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), max_tasks_per_child=1) as pool:
        return pool.submit(function, argument).result()


def _reset_peak_rss() -> None:
    """Restart the peak RSS from the current RSS (Linux); elsewhere the lifetime peak stays."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _rss_kib(field: str) -> int:
    """Return VmRSS or VmHWM (the peak) of this process in KiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _verify_run(target: Ledger) -> VerifyRun:
    store = target.store()
    with store.read() as tx:
        public_key = bytes.fromhex(tx.meta("log_public_key") or "")
    verifier = NoteVerifier.from_public_key(ORIGIN, public_key)
    gc.collect()
    before = _rss_kib("VmRSS")
    _reset_peak_rss()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = verify_store(store, verifier)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if result.size != target.size:
        raise RuntimeError(f"verified {result.size} entries, want {target.size}")
    return VerifyRun(result.size, seconds, cpu_seconds, _rss_kib("VmHWM"), before)


def _limit_rates(target: Ledger) -> tuple[float, float]:
    """Return entries/s (wall clock, CPU time) of SHA-256 plus one Ed25519 verify per entry."""
    store = target.store()
    work: list[tuple[bytes, bytes, bytes, Ed25519PublicKey]] = []
    keys: dict[str, Ed25519PublicKey] = {}
    start = 0
    while start < target.size:
        with store.read() as tx:
            chunk = tx.entries(start, 5000)
            for stored in chunk:
                signed = Entry.from_bytes(stored.data).signed
                if signed.key_id not in keys:
                    record = tx.key(signed.key_id)
                    assert record is not None
                    keys[signed.key_id] = Ed25519PublicKey.from_public_bytes(record.public_key)
                work.append((stored.data, signed.signature, signed.canonical, keys[signed.key_id]))
        start = chunk[-1].index + 1
    sha256 = hashlib.sha256
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    for data, signature, message, key in work:
        sha256(data).digest()
        key.verify(signature, message)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return len(work) / seconds, len(work) / cpu_seconds
