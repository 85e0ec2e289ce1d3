"""The log tables, identity projections, tokens, and the append-only triggers.

Revision ID: 0001_log
Revises:
"""

import sqlalchemy as sa
from alembic import op

from ledger.store.triggers import append_only_ddl

revision = "0001_log"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("entry_hash", sa.LargeBinary, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("submission_id", sa.String(128), nullable=False, unique=True),
        sa.Column("party_id", sa.String(128), nullable=False, index=True),
        sa.Column("entry_type", sa.String(64), nullable=False, index=True),
        sa.Column("recorded_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "tree_nodes",
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "parties",
        sa.Column("party_id", sa.String(128), primary_key=True),
        sa.Column("legal_name", sa.Text, nullable=False),
        sa.Column("registration_number", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "party_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("party_id", sa.String(128), nullable=False, index=True),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("added_at", sa.BigInteger, nullable=False),
        sa.Column("ended_at", sa.BigInteger, nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("party_id", sa.String(128), nullable=False, index=True),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    for statement in append_only_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the log is append-only; there is no way back")
