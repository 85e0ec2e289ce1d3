"""Mass-balance accounts and period statements on the wire."""

from __future__ import annotations

from marshmallow import Schema, fields

from ledger.claims import STATEMENT_LINES


class AccountSchema(Schema):
    account_id = fields.String(required=True)
    entry_index = fields.Integer(required=True, metadata={"description": "the claim.open_account entry"})
    holder = fields.String(required=True)
    site = fields.String(required=True)
    material_family = fields.String(required=True)
    characteristic = fields.String(required=True, metadata={"description": "recycled or post_consumer"})
    model = fields.String(required=True, metadata={"description": "mass_balance"})
    period_rule = fields.String(required=True, metadata={"description": "month, quarter or year"})
    carry_forward_cap = fields.String(allow_none=True, metadata={
        "description": "share of a period's credits that may carry forward; null: none may"})
    opened_at = fields.String(required=True)
    available_kg = fields.String(required=True, metadata={"description": "credit that allocations may use now"})
    in_stock_kg = fields.String(required=True, metadata={"description": "credit of received lots not yet processed"})
    open_period = fields.String(required=True, metadata={"description": "the earliest period not yet closed"})
    closed_periods = fields.List(fields.String(), required=True)


class AccountListSchema(Schema):
    items = fields.List(fields.Nested(AccountSchema), required=True)


StatementSchema = Schema.from_dict({
    "account_id": fields.String(required=True),
    "period": fields.String(required=True),
    "status": fields.String(required=True, metadata={"description": "closed, or open (the figures as they stand)"}),
    "closed_entry": fields.Integer(allow_none=True),
    "starts": fields.String(required=True),
    "ends": fields.String(required=True),
    **{f"{line}_kg": fields.String(required=True) for line in STATEMENT_LINES},
    "entries": fields.List(fields.Integer(), required=True, metadata={"description": "the entries that moved it"}),
}, name="StatementSchema")  # one period; every line is recomputable from `entries` (docs/chain-of-custody.md)
