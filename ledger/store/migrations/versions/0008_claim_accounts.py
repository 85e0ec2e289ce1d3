"""Mass-balance accounts, their movements and their closed periods' statements.

Revision ID: 0008_claim_accounts
Revises: 0007_audit_job_kinds
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_claim_accounts"
down_revision = "0007_audit_job_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_accounts",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("entry_index", sa.BigInteger, nullable=False),
        sa.Column("holder", sa.String(128), nullable=False, index=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("material_family", sa.String(32), nullable=False),
        sa.Column("characteristic", sa.String(32), nullable=False),
        sa.Column("period_rule", sa.String(8), nullable=False),
        sa.Column("carry_forward_cap", sa.String(16), nullable=True),
        sa.Column("opened_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "claim_movements",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("entry_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lot_id", sa.String(64), nullable=True, index=True),
        sa.Column("grams", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "claim_periods",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(8), primary_key=True),
        sa.Column("closed_entry", sa.BigInteger, nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("claim_periods")
    op.drop_table("claim_movements")
    op.drop_table("claim_accounts")
