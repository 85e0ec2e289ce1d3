"""Lots, custody transfers, transformations and read access: projections of the log.

Revision ID: 0002_lots
Revises: 0001_log
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_lots"
down_revision = "0001_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lots",
        sa.Column("lot_id", sa.String(64), primary_key=True),
        sa.Column("created_entry", sa.BigInteger, nullable=False, index=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False, index=True),
        sa.Column("origin_kind", sa.String(16), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False, index=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("mass_g", sa.BigInteger, nullable=False),
        sa.Column("created_mass_g", sa.BigInteger, nullable=False),
        sa.Column("material_family", sa.String(32), nullable=False, index=True),
        sa.Column("consumer_stage", sa.String(16), nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("composition", sa.Text, nullable=False),
        sa.Column("consumed_entry", sa.BigInteger, nullable=True),
        sa.Column("open_transfer", sa.String(64), nullable=True),
        sa.Column("discrepancy", sa.Boolean, nullable=False),
    )
    op.create_table(
        "lot_origins",
        sa.Column("lot_id", sa.String(64), primary_key=True),
        sa.Column("country", sa.String(2), primary_key=True, index=True),
        sa.Column("grams", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "lot_edges",
        sa.Column("child", sa.String(64), primary_key=True),
        sa.Column("parent", sa.String(64), primary_key=True, index=True),
        sa.Column("entry_index", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "lot_access",
        sa.Column("lot_id", sa.String(64), primary_key=True),
        sa.Column("party_id", sa.String(128), primary_key=True, index=True),
    )
    op.create_table(
        "transfers",
        sa.Column("transfer_id", sa.String(64), primary_key=True),
        sa.Column("lot_id", sa.String(64), nullable=False, index=True),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("receiver", sa.String(128), nullable=False, index=True),
        sa.Column("declared_g", sa.BigInteger, nullable=False),
        sa.Column("lot_mass_g", sa.BigInteger, nullable=False),
        sa.Column("transport_reference", sa.Text, nullable=False),
        sa.Column("transfers_ownership", sa.Boolean, nullable=False),
        sa.Column("dispatched_entry", sa.BigInteger, nullable=False),
        sa.Column("dispatched_at", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("closed_entry", sa.BigInteger, nullable=True),
        sa.Column("closed_at", sa.String(32), nullable=True),
        sa.Column("weighed_g", sa.BigInteger, nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("discrepancy", sa.Boolean, nullable=False),
    )
    op.create_table(
        "transformations",
        sa.Column("entry_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("actor", sa.String(128), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("input_g", sa.BigInteger, nullable=False),
        sa.Column("additions_g", sa.BigInteger, nullable=False),
        sa.Column("output_g", sa.BigInteger, nullable=False),
        sa.Column("losses_g", sa.BigInteger, nullable=False),
        sa.Column("unaccounted_g", sa.BigInteger, nullable=False),
        sa.Column("material_family", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for table in ("transformations", "transfers", "lot_access", "lot_edges", "lot_origins", "lots"):
        op.drop_table(table)
