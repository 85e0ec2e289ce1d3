"""The log itself: entries, inclusion and consistency proofs, checkpoint and log key."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from ledger.errors import EntryNotFound
from schemas.common import PageQuerySchema
from schemas.log import (
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    EntryPageSchema,
    EntrySchema,
    InclusionProofSchema,
    InclusionQuerySchema,
)

from ..openapi import LedgerBlueprint
from ..services import now, services

bp = LedgerBlueprint("log", __name__, url_prefix="/v1", description="The tamper-evident log")


def _entry_json(entry: Any) -> dict[str, Any]:
    return {**entry.to_json(), "entry_hash": entry.entry_hash, "leaf_hash": entry.leaf_hash}


@bp.route("/entries")
class Entries(MethodView):
    @bp.arguments(PageQuerySchema, location="query")
    @bp.response(200, EntryPageSchema)
    def get(self, query: dict[str, int]) -> dict[str, Any]:
        """Return entries from `start`, at most `limit` of them."""
        entries = services().log.entries(query["start"], query["limit"])
        next_start = entries[-1].index + 1 if len(entries) == query["limit"] else None
        return {"entries": [_entry_json(entry) for entry in entries], "next_start": next_start}


@bp.route("/entries/<int(max=9223372036854775807):index>")
class Entry(MethodView):
    @bp.response(200, EntrySchema)
    def get(self, index: int) -> dict[str, Any]:
        """Return one entry exactly as hashed."""
        return _entry_json(services().log.entry(index))


@bp.route("/submissions/<submission_id>")
class Submission(MethodView):
    @bp.response(200, EntrySchema)
    def get(self, submission_id: str) -> dict[str, Any]:
        """Return the entry that holds a submission id (how an import finds what another party appended)."""
        log = services().log
        stored = services().read(lambda tx: tx.entries_by_submission([submission_id])).get(submission_id)
        if stored is None:
            raise EntryNotFound(f"no entry holds submission {submission_id}", field="submission_id")
        return _entry_json(log.entry(stored.index))


@bp.route("/entries/<int(max=9223372036854775807):index>/inclusion-proof")
class InclusionProof(MethodView):
    @bp.arguments(InclusionQuerySchema, location="query")
    @bp.response(200, InclusionProofSchema)
    def get(self, query: dict[str, int], index: int) -> dict[str, Any]:
        """Return the RFC 9162 inclusion proof of an entry in the tree of `tree_size` entries."""
        leaf, path = services().log.inclusion_proof(index, query["tree_size"])
        return {"leaf_index": index, "tree_size": query["tree_size"], "leaf_hash": leaf, "audit_path": path}


@bp.route("/consistency-proof")
class ConsistencyProof(MethodView):
    @bp.arguments(ConsistencyQuerySchema, location="query")
    @bp.response(200, ConsistencyProofSchema)
    def get(self, query: dict[str, int]) -> dict[str, Any]:
        """Return the RFC 9162 consistency proof between two tree sizes."""
        proof = services().log.consistency_proof(query["first"], query["second"])
        return {"first": query["first"], "second": query["second"], "consistency": proof}


@bp.route("/checkpoint")
class CheckpointView(MethodView):
    @bp.response(200, content_type="text/plain", description="a C2SP signed note of a tlog-checkpoint")
    def get(self) -> Response:
        """Return the signed checkpoint of the current tree."""
        return Response(services().log.checkpoint(now()).note, mimetype="text/plain")


@bp.route("/log-key")
class LogKey(MethodView):
    @bp.response(200, content_type="text/plain", description="the log's verifier key, C2SP vkey form")
    def get(self) -> Response:
        """Return the verifier key that checks checkpoint signatures."""
        return Response(services().log.verifier.to_vkey() + "\n", mimetype="text/plain")
