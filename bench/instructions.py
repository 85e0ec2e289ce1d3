"""Instructions per request, counted by callgrind: `python -m bench.instructions [sqlite|postgres] [--healthz]`.

Timings on a shared machine move by a quarter between runs of the same code;
the instructions a request executes do not (repeatable to about 0.5 %). This
sets up the HTTP bench's ledger and signed requests (bench/http_appends.py),
then replays them in one process through the WSGI app, without HTTP or
gunicorn, under `valgrind --tool=callgrind`. Counting is switched on only
around the measured requests, after a warm-up, by a two-line C helper built
with the machine's compiler. It counts instructions of this process only: a
PostgreSQL backend's work is not in it. Needs valgrind and gcc; not part of
`make bench`.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import io
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from . import http_appends, loadgen
from .ledgers import CACHE, ORIGIN

WARM_UP = 200
HELPER = r"""
#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; CALLGRIND_TOGGLE_COLLECT; }
void stop(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS; CALLGRIND_STOP_INSTRUMENTATION; }
"""


def main(argv: list[str] | None = None) -> int:
    """Set up, count under callgrind, print instructions per request."""
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("engine", choices=("sqlite", "postgres"))
    parser.add_argument("--healthz", action="store_true", help="count GET /healthz instead of the appends")
    parser.add_argument("-n", "--requests", type=int, default=200, help="requests counted (default 200)")
    parser.add_argument("--replay", metavar="DIR", help=argparse.SUPPRESS)  # the run under valgrind
    options = parser.parse_args(argv)
    if options.replay:
        _replay(Path(options.replay), options.requests, options.healthz)
        return 0
    work = Path(tempfile.mkdtemp(prefix="instructions-", dir=CACHE))
    try:
        with _engine(options.engine) as (env, _label):
            env = {**env, "SCRAPLEDGER_ORIGIN": ORIGIN, "SCRAPLEDGER_TIMESTAMP_WINDOW": str(10**8)}
            plans = http_appends._prepare(Path(env["SCRAPLEDGER_HOME"]), env.get("DATABASE_URL"))
            (work / "plans.pickle").write_bytes(pickle.dumps(plans))
            _build_helper(work)
            output = work / "callgrind.out"
            command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
                       f"--callgrind-out-file={output}", sys.executable, "-m", "bench.instructions",
                       options.engine, "--replay", str(work), "--requests", str(options.requests)]
            if options.healthz:
                command.append("--healthz")
            subprocess.run(command, cwd=loadgen.REPO, env={**os.environ, **env}, check=True,
                           stderr=subprocess.DEVNULL)
            total = sum(_totals(path) for path in work.glob("callgrind.out.*"))  # the dumps made by `stop`
        what = "GET /healthz" if options.healthz else "signed append (the bench's mix)"
        print(f"{options.engine}: {total / options.requests / 1e6:.3f} M instructions per {what},"
              f" {options.requests} counted after {WARM_UP} warm-up requests")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _engine(name: str) -> AbstractContextManager[tuple[dict[str, str], str]]:
    return http_appends._sqlite() if name == "sqlite" else http_appends._postgres()


def _build_helper(work: Path) -> None:
    (work / "helper.c").write_text(HELPER)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(work / "helper.so"), str(work / "helper.c")],
                   check=True)


def _totals(path: Path) -> int:
    """Return the instructions a callgrind dump counted."""
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    return 0


def _replay(work: Path, count: int, healthz: bool) -> None:
    """Run in the process valgrind watches: warm up, then count `count` requests."""
    from api import create_app

    plans = pickle.loads((work / "plans.pickle").read_bytes())
    requests = [raw for cycle in zip(*plans, strict=False) for raw in cycle]
    if healthz:
        requests = [loadgen.request("GET", "/healthz")] * len(requests)
    app = create_app()
    expected = 200 if healthz else 201
    for raw in requests[:WARM_UP]:
        _call(app, raw, expected)
    gc.freeze()
    helper = ctypes.CDLL(str(work / "helper.so"))
    measured = requests[WARM_UP:WARM_UP + count]
    helper.start()
    for raw in measured:
        _call(app, raw, expected)
    helper.stop()


def _call(app: Any, raw: bytes, expected: int) -> None:
    """Answer one raw HTTP/1.1 request through the WSGI app; raise unless the status is `expected`."""
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ")
    environ = {"REQUEST_METHOD": method, "PATH_INFO": target, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "SCRIPT_NAME": "", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
               "wsgi.run_once": False}
    for line in header_lines:
        name, _, value = line.partition(": ")
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    statuses = []
    for _chunk in app(environ, lambda status, _headers, _exc=None: statuses.append(status)):
        pass
    if int(statuses[0].split(" ", 1)[0]) != expected:
        raise RuntimeError(f"{method} {target} answered {statuses[0]}, expected {expected}")


if __name__ == "__main__":
    sys.exit(main())
