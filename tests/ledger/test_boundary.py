"""The domain core stays free of HTTP and schema libraries."""

from __future__ import annotations

import subprocess
import sys

WEB = ("flask", "werkzeug", "marshmallow", "flask_smorest", "webargs")


def test_importing_every_ledger_module_loads_no_web_or_schema_library():
    probe = (
        "import importlib, pkgutil, sys, ledger\n"
        "for module in pkgutil.walk_packages(ledger.__path__, 'ledger.'):\n"
        "    if '.migrations' not in module.name:\n"
        "        importlib.import_module(module.name)\n"
        f"print(sorted(name for name in {WEB!r} if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
