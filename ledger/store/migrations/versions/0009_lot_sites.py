"""The holder's site a lot is at, for mass-balance accounts kept per site.

Lots made before this revision keep NULL until `scrapledger rebuild`
replays the log under the per-site rule (docs/chain-of-custody.md).

Revision ID: 0009_lot_sites
Revises: 0008_claim_accounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_lot_sites"
down_revision = "0008_claim_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lots", sa.Column("site", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("lots", "site")
