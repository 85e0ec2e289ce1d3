"""Drop the index on entries.entry_type: no query reads by it, and every append paid for its upkeep.

Revision ID: 0005_no_entry_type_index
Revises: 0004_final_json
"""

from alembic import op

revision = "0005_no_entry_type_index"
down_revision = "0004_final_json"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_entries_entry_type", table_name="entries")


def downgrade() -> None:
    op.create_index("ix_entries_entry_type", "entries", ["entry_type"])
