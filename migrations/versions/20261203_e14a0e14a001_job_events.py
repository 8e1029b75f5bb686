"""Job events

Revision ID: e14a0e14a001
Revises: d13a0e13a001
Create Date: 2026-12-03 19:00:00

- job_events: every failed attempt at a background job (samaschool/jobs.py): which job, which
  attempt, the error, when, and when it will be tried again (none: given up). Admins read it at
  /admin/jobs; the periodic jobs remove rows older than 30 days.
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss

# revision identifiers, used by Alembic.
revision = "e14a0e14a001"
down_revision = "d13a0e13a001"
branch_labels = None
depends_on = None


# New NOT NULL columns need a server_default (or a backfill): databases already hold rows.
def upgrade():
    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("outcome IN ('retrying', 'failed')", name=op.f("ck_job_events_outcome_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_events")),
    )
    with op.batch_alter_table("job_events", schema=None) as batch_op:
        batch_op.create_index("ix_job_events_occurred_at", ["occurred_at"], unique=False)


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(tables=["job_events"])
    with op.batch_alter_table("job_events", schema=None) as batch_op:
        batch_op.drop_index("ix_job_events_occurred_at")
    op.drop_table("job_events")
