"""The offline report checker: one self-contained page that re-checks a verification report in the browser.

Its styles and scripts (the RFC 8785 encoder, the docs/format.md §14 checks, the page glue) are
inlined into the HTML, so that a copy saved from the browser works from file:// with no network.
Anyone may open it: it reads nothing from the ledger but the log's public key.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from flask import Blueprint, render_template

from ..services import services

bp = Blueprint("report_checker", __name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
SCRIPTS = ("js/jcs.js", "js/report-check.js", "js/report-page.js")  # each after the ones it imports
LOCAL_IMPORT = re.compile(r'^import \{[^}]*\} from "\./[\w-]+\.js";\n', re.MULTILINE)


@functools.cache
def _inlined() -> tuple[str, str]:
    """Return the style sheet and the scripts as one module, their imports of each other dropped."""
    script = "\n".join(LOCAL_IMPORT.sub("", (STATIC / name).read_text(encoding="utf-8")) for name in SCRIPTS)
    return (STATIC / "css/app.css").read_text(encoding="utf-8"), script


@bp.get("/verify-report")
def page() -> str:
    """The checker, with the log key of this ledger filled in as the one to trust."""
    css, script = _inlined()
    return render_template("verify_report.html", css=css, script=script, vkey=services().log.verifier.to_vkey())
