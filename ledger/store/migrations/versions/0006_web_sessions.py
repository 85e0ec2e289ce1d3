"""Web sessions of the pages: a browser's sign-in, stored only as the SHA-256 of its cookie.

Revision ID: 0006_web_sessions
Revises: 0005_no_entry_type_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_web_sessions"
down_revision = "0005_no_entry_type_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("party_id", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("web_sessions")
