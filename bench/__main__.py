"""`python -m bench [verify|proofs|provenance|page|http|batch|import|epcis] [--fresh]`: run the benchmarks and print one table.

Exits 1 if any target fails. Ratios compare figures measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable
from typing import Any

from . import (batch_appends, bulk_import, epcis_export, http_appends, ledgers, proof_latency, provenance, provenance_page,
               verify_throughput)

BENCHES: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "verify": verify_throughput.run,
    "proofs": proof_latency.run,
    "provenance": provenance.run,
    "page": provenance_page.run,
    "http": http_appends.run,
    "batch": batch_appends.run,
    "import": bulk_import.run,
    "epcis": epcis_export.run,
}
COLUMNS = ("name", "measured", "baseline", "ratio", "target", "result")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks, print the table and return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("which", nargs="*", metavar="{" + ",".join(BENCHES) + "}",
                        help="which benchmarks (default: all)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached ledgers first")
    options = parser.parse_args(argv)
    unknown = [name for name in options.which if name not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)}")
    chosen = options.which or list(BENCHES)
    print(f"scrapledger bench: {', '.join(chosen)} | Python {platform.python_version()}"
          f" | {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
          f" | measured on SQLite synchronous={ledgers.READ_SYNCHRONOUS}, WAL"
          f" (loader: synchronous={ledgers.LOAD_SYNCHRONOUS},"
          f" {ledgers.CHUNK:,} entries a transaction)"
          f" | cache {ledgers.CACHE}", flush=True)
    rows = [row for name in chosen for row in BENCHES[name](fresh=options.fresh)]
    _print_table(rows)
    return 1 if any(row["passed"] is False for row in rows) else 0


def _cells(row: dict[str, Any]) -> list[str]:
    ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
    result = "" if row["passed"] is None else ("PASS" if row["passed"] else "FAIL")
    return [row["name"], row["measured"], row["baseline"], ratio, row["target"], result]


def _print_table(rows: list[dict[str, Any]]) -> None:
    table = [list(COLUMNS)] + [_cells(row) for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(COLUMNS))]
    for number, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))


if __name__ == "__main__":
    sys.exit(main())
