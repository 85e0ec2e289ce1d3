"""Bulk appends: a recycler's weighbridge or ERP export in one request, with group commit."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from schemas.submissions import BatchResultSchema, BatchSchema

from ..openapi import LedgerBlueprint
from ..problems import ledger_problem_body
from ..writes import append_batch, append_valid_items

bp = LedgerBlueprint("batches", __name__, url_prefix="/v1", description="Bulk appends")


@bp.route("/batches")
class Batches(MethodView):
    @bp.arguments(BatchSchema)
    @bp.response(201, BatchResultSchema)
    @bp.alt_response(200, schema=BatchResultSchema, description="a dry run: nothing was appended")
    def post(self, payload: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Append up to 1,000 signed submissions in one transaction.

        Each submission is still its own signed entry and may be of any type;
        a later item may act on what an earlier one created. By default one
        invalid item refuses the batch: the error names it
        (`items[17].body.net_mass_kg`) and nothing is appended. With
        `invalid_items: skip` the valid items are appended and every other one
        is named in `problems`; with `dry_run` every item is checked exactly as
        an append would check it and nothing is appended. Retrying the same
        batch returns the original results (submission ids are idempotency
        keys, and a retry's results say `replayed`).
        """
        if not payload["dry_run"] and payload["invalid_items"] == "refuse":
            return {"results": append_batch(payload["items"]), "problems": [], "appended": True}, 201
        outcome = append_valid_items(payload["items"], dry_run=payload["dry_run"])
        problems = [{"item": position, **ledger_problem_body(error)} for position, error in outcome.problems.items()]
        return {"results": outcome.results, "problems": problems, "appended": outcome.appended}, \
            201 if outcome.appended else 200
