"""The log tables, identity projections, tokens, and the append-only triggers.

Revision ID: 0001_log
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_log"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("entries", "tree_nodes", "checkpoints")


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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION scrapledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'scrapledger: % on % refused: the log is append-only', TG_OP, TG_TABLE_NAME;"
            " END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION scrapledger_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION scrapledger_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}"
                    f" BEGIN SELECT RAISE(ABORT, 'scrapledger: {action} on {table} refused:"
                    " the log is append-only'); END"
                )


def downgrade() -> None:
    raise NotImplementedError("the log is append-only; there is no way back")
