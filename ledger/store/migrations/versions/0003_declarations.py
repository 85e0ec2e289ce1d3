"""Declarations, certificates, verification verdicts and audit jobs.

Revision ID: 0003_declarations
Revises: 0002_lots
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_declarations"
down_revision = "0002_lots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declarations",
        sa.Column("declaration_id", sa.String(64), primary_key=True),
        sa.Column("entry_index", sa.BigInteger, nullable=False),
        sa.Column("issuer", sa.String(128), nullable=False, index=True),
        sa.Column("recipient", sa.String(128), nullable=False, index=True),
        sa.Column("lot_id", sa.String(64), nullable=False, index=True),
        sa.Column("issued_at", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("withdrawn_entry", sa.BigInteger, nullable=True),
        sa.Column("withdrawal_reason", sa.Text, nullable=True),
    )
    op.create_table(
        "certificates",
        sa.Column("certificate_id", sa.String(64), primary_key=True),
        sa.Column("entry_index", sa.BigInteger, nullable=False),
        sa.Column("party_id", sa.String(128), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("valid_from", sa.String(10), nullable=False),
        sa.Column("valid_until", sa.String(10), nullable=False),
    )
    op.create_table(
        "verdicts",
        sa.Column("declaration_id", sa.String(64), primary_key=True),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("failed_checks", sa.Text, nullable=False),
        sa.Column("checked_at", sa.String(32), nullable=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "audit_jobs",
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("verified", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=True),
        sa.Column("result", sa.Text, nullable=True),
    )


def downgrade() -> None:
    for table in ("audit_jobs", "verdicts", "certificates", "declarations"):
        op.drop_table(table)
