"""Envelopes load, and append results dump, exactly as marshmallow's own machinery would, fast path or not."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError

from ledger.log import AppendResult
from schemas.submissions import (
    AppendResultSchema,
    BatchResultSchema,
    BatchSchema,
    SignedSubmissionSchema,
)

SUBMISSION = {"body": {"net_mass_kg": "24380"}, "key_id": "ab" * 32, "log": "ledger.example/scrap",
              "party": "rotterdam-metals", "submission_id": "RTM-0042", "timestamp": "2026-11-22T09:00:00Z",
              "type": "lot.register"}


def loaded_both_ways(envelope):
    """Return (the batch's load of the envelope, the plain schema's load), each ("value", ...) or ("errors", ...)."""
    answers = []
    for load in (lambda: BatchSchema().load({"items": [envelope]})["items"][0],
                 lambda: SignedSubmissionSchema().load(envelope)):
        try:
            answers.append(("value", load()))
        except ValidationError as error:
            messages = error.messages
            answers.append(("errors", messages["items"][0] if "items" in messages else messages))
    return answers


def test_a_well_formed_envelope_loads_as_the_schema_loads_it():
    fast, schema = loaded_both_ways({"submission": SUBMISSION, "signature": "0f" * 64})
    assert fast == schema
    assert fast == ("value", {"submission": SUBMISSION, "signature": bytes.fromhex("0f" * 64)})


@pytest.mark.parametrize("envelope", [
    {"submission": SUBMISSION, "signature": "0F" * 64},
    {"submission": SUBMISSION, "signature": "0f" * 63},
    {"submission": SUBMISSION},
    {"submission": SUBMISSION, "signature": "0f" * 64, "comment": "extra"},
    {"submission": [SUBMISSION], "signature": "0f" * 64},
    {"submission": SUBMISSION, "signature": 7},
], ids=["uppercase", "short", "no-signature", "unknown-field", "submission-not-object", "signature-not-text"])
def test_a_malformed_envelope_gets_the_schemas_own_errors(envelope):
    fast, schema = loaded_both_ways(envelope)
    assert fast == schema
    assert fast[0] == "errors"


@pytest.mark.parametrize("result", [
    AppendResult(41, bytes(range(32)), "2026-11-22T09:00:00.000000Z", "lot.register", {"lot_id": "lot-41"}),
    AppendResult(42, b"\xff" * 32, "2026-11-22T09:00:01.000000Z", "party.register", {"party_id": "duisburg-smelter"},
                 token="slt_secret"),
    AppendResult(7, b"\x00" * 32, "2026-11-21T17:30:00.000000Z", "lot.dispatch", {"transfer_id": "tr-7"},
                 replayed=True),
], ids=["created", "with-token", "replayed"])
def test_an_append_result_dumps_as_its_documented_fields_dump_it(result):
    by_fields = Schema._serialize(AppendResultSchema(), result)  # marshmallow's own field-by-field dump

    assert AppendResultSchema().dump(result) == by_fields
    assert BatchResultSchema().dump({"results": [result]})["results"] == [by_fields]
