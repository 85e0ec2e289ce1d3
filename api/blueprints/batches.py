"""Bulk appends: a recycler's weighbridge or ERP export in one request, with group commit."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from schemas.submissions import BatchResultSchema, BatchSchema

from ..openapi import LedgerBlueprint
from ..writes import append_batch

bp = LedgerBlueprint("batches", __name__, url_prefix="/v1", description="Bulk appends")


@bp.route("/batches")
class Batches(MethodView):
    @bp.arguments(BatchSchema)
    @bp.response(201, BatchResultSchema)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Append up to 1,000 signed submissions in one transaction: every one lands, or none does.

        Each submission is still its own signed entry and may be of any type;
        a later item may act on what an earlier one created. An error names the
        item (`items[17].body.net_mass_kg`) and nothing is appended. Retrying
        the same batch returns the original results (submission ids are
        idempotency keys).
        """
        return {"results": append_batch(payload["items"])}
