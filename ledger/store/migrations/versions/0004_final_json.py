"""Rendered provenance nodes of consumed lots and closed transfers (see ledger/store/ancestry_json.py).

Rows that existed before this revision keep NULL and are rendered on every
read, which gives the same document; `scrapledger rebuild` fills them in.

Revision ID: 0004_final_json
Revises: 0003_declarations
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_final_json"
down_revision = "0003_declarations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("lots", "transfers"):
        op.add_column(table, sa.Column("final_json", sa.Text, nullable=True))


def downgrade() -> None:
    for table in ("lots", "transfers"):
        op.drop_column(table, "final_json")
