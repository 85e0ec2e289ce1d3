"""Audit jobs of two kinds: a full verification, or an export for the auditor to download.

Revision ID: 0007_audit_job_kinds
Revises: 0006_web_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_audit_job_kinds"
down_revision = "0006_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_jobs") as table:
        table.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="verification"))


def downgrade() -> None:
    with op.batch_alter_table("audit_jobs") as table:
        table.drop_column("kind")
