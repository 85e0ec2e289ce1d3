"""A light HTTP/1.1 load generator and a gunicorn server under test, both on 127.0.0.1 only.

The client is one asyncio loop with one connection per simulated client. Every
request is a pre-built byte string (method, path, headers, pre-signed body), so
the timed window spends nothing on JSON or signatures; a response is read by
its Content-Length. Connections are kept alive when the server allows it and
reopened when it answers `Connection: close` (gunicorn's sync workers always
do). Each run is bounded by a deadline and by the requests it was given.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from gunicorn import util as gunicorn_util

from api.serving import gunicorn_command

REPO = Path(__file__).resolve().parent.parent
START_SECONDS = 90.0


@dataclass(frozen=True, slots=True)
class Run:
    """What one load run did: answers by status, latencies of the expected ones, time and CPU."""

    statuses: dict[int, int]
    latencies: list[float]
    seconds: float
    client_cpu: float
    server_cpu: float
    exhausted: int  # clients that ran out of prepared requests before the deadline
    idle: float  # share of the machine's CPU time left idle (or waiting on disk) during the run
    database_cpu: float  # CPU seconds of the local PostgreSQL server's processes during the run
    steal: float  # share of the machine's CPU time the hypervisor gave other guests during the run

    @property
    def rate(self) -> float:
        """Return the expected answers per second of wall-clock time."""
        return len(self.latencies) / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        """Return the latency below which `fraction` of the expected answers came, in ms."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def request(method: str, path: str, token: str | None = None, body: bytes = b"") -> bytes:
    """Return the raw bytes of one HTTP/1.1 request to 127.0.0.1."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def load(port: int, plans: Sequence[Iterable[bytes]], expect: int, seconds: float, server: Server) -> Run:
    """Send each plan's requests in order on its own connection until the deadline; return the run."""
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    exhausted = [0]

    async def client(plan: Iterable[bytes], deadline: float) -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        try:
            for raw in plan:
                if time.perf_counter() >= deadline:
                    return
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                started = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                status, length, closes = _parse_head(head)
                await reader.readexactly(length)
                elapsed = time.perf_counter() - started
                statuses[status] = statuses.get(status, 0) + 1
                if status == expect:
                    latencies.append(elapsed)
                if closes:
                    writer.close()
                    reader = writer = None
            exhausted[0] += 1
        finally:
            if writer is not None:
                writer.close()

    async def main() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(client(plan, deadline) for plan in plans))
        return time.perf_counter() - started

    # Read first: walking /proc is not the load generator's work.
    machine, database = _machine_ticks(), _postgres_cpu()
    cpu, server_cpu = time.process_time(), server.cpu_seconds()
    elapsed = asyncio.run(main())
    idle, steal, total = (now - then for now, then in zip(_machine_ticks(), machine, strict=True))
    return Run(statuses, latencies, elapsed, time.process_time() - cpu, server.cpu_seconds() - server_cpu,
               exhausted[0], idle / total if total else 0.0, _postgres_cpu() - database,
               steal / total if total else 0.0)


def _machine_ticks() -> tuple[int, int, int]:
    """Return the machine's idle plus iowait, steal and total ticks since boot (/proc/stat)."""
    # The first eight fields only: guest time is counted in user time already.
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return fields[3] + fields[4], fields[7], sum(fields)


def _postgres_cpu() -> float:
    """Return the user + system CPU seconds used so far by this machine's postgres processes."""
    pids = (entry.name for entry in Path("/proc").iterdir() if entry.name.isdigit())
    used = sum(ticks for name, ticks in map(_process_ticks, pids) if name.startswith("postgres"))
    return used / os.sysconf("SC_CLK_TCK")


def _process_ticks(pid: int | str) -> tuple[str, int]:
    """Return a process's command name and the user + system ticks it has used ("", 0 if gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "", 0
    name, _, rest = text.partition("(")[2].rpartition(")")
    fields = rest.split()
    return name, int(fields[11]) + int(fields[12])


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, closes = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            closes = True
        elif name == "transfer-encoding":
            raise RuntimeError("chunked responses are not expected from this API")
    return status, length, closes


class Server:
    """`scrapledger serve`'s gunicorn command (2 sync workers) on a free port of 127.0.0.1."""

    def __init__(self, env: Mapping[str, str], log_path: Path, workers: int = 2) -> None:
        self.port = _free_port()
        self.workers = workers
        command = gunicorn_command(f"127.0.0.1:{self.port}", workers)
        self._log = log_path.open("wb")
        self._process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env}, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self._process.returncode}; see {log_path}")
            if self._answers() and len(self._children()) == workers:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {START_SECONDS:.0f} s; see {log_path}")

    def cpu_seconds(self) -> float:
        """Return the user + system CPU seconds used so far by the master and its workers."""
        used = sum(_process_ticks(pid)[1] for pid in [self._process.pid, *self._children()])
        return used / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Stop the master and its workers (its own process group) and wait for them."""
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=30)
        self._log.close()

    def _children(self) -> list[int]:
        try:
            text = Path(f"/proc/{self._process.pid}/task/{self._process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as connection:
                connection.sendall(request("GET", "/healthz"))
                return connection.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False


def gunicorn_build() -> str:
    """Return gunicorn's version, and whether its sync worker lingers on close for the client's FIN.

    From gunicorn 26 a sync worker half-closes each connection and waits for
    the client to close its side (RFC 9112 section 9.6) before it accepts the
    next one; the wait is the load generator's, and it weighs far more on a
    /healthz than on an append.
    """
    lingers = "lingering close" if hasattr(gunicorn_util, "close_graceful") else "plain close"
    return f"gunicorn {version('gunicorn')}, {lingers}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
