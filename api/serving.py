"""How scrapledger is served: the one gunicorn command, and the hooks its config runs in each worker.

`scrapledger serve`, the benchmarks and the fault tests all start the server
with `gunicorn_command`, so what is measured and tested is what is deployed.
Gunicorn loads this module as its config (`--config python:api.serving`): the
hook below is the only setting it reads from here.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

APP = "api:create_app()"


def gunicorn_command(bind: str, workers: int = 2, *, access_log: bool = True) -> list[str]:
    """Return the argv that serves the API with `workers` sync workers on `bind` (host:port)."""
    command = [sys.executable, "-m", "gunicorn", "--config", f"python:{__name__}", "--bind", bind,
               "--workers", str(workers)]
    if access_log:
        command += ["--access-logfile", "-"]
    return [*command, APP]


def post_worker_init(worker: Any) -> None:
    """Move the loaded app and libraries out of the garbage collector's sight (gunicorn hook).

    They live as long as the worker, yet every full collection walked all of
    them: about 300,000 objects, 200 ms, once every few batches of 1,000
    submissions, a tenth of a batch's CPU. Frozen objects are still freed
    by reference counting; only the cycle collector skips them.
    """
    gc.freeze()
