"""sessions and devices

Revision ID: 1466e5ec928b
Revises: a1eb3605d10b
Create Date: 2026-12-03 11:00:00

"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss


# revision identifiers, used by Alembic.
revision = "1466e5ec928b"
down_revision = "a1eb3605d10b"
branch_labels = None
depends_on = None


# New NOT NULL columns need a server_default (or a backfill): databases already hold rows.
def upgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ip_address", sa.String(length=45), server_default="", nullable=False))
    # Backfill: all we know of an existing session is when it began; its idle time counts from then.
    op.execute("UPDATE user_sessions SET last_seen_at = created_at")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.alter_column("last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(tables=[], columns={"user_sessions": ["last_seen_at", "ip_address"]})
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("ip_address")
        batch_op.drop_column("last_seen_at")
