"""Media waiting for the job worker

Revision ID: f14a0e14a002
Revises: e14a0e14a001
Create Date: 2026-12-03 20:00:00

- media_files.queued_at: a long sound uploaded in the studio is checked in the request and
  transcoded by the job worker (samaschool/media/services.py); until its variants exist this says
  when its job was last queued, and the periodic sweep queues it again when that is long ago. NULL
  means ready: every existing row is.
- media_files.transcode_error: why the worker could not make the variants (NULL for every existing row).
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss

# revision identifiers, used by Alembic.
revision = "f14a0e14a002"
down_revision = "e14a0e14a001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("transcode_error", sa.Text(), nullable=True))
        batch_op.create_index("ix_media_files_queued_at", ["queued_at"], unique=False)


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this):
    # while a sound still waits for the worker, or a failure is recorded.
    refuse_data_loss(columns={"media_files": ["queued_at", "transcode_error"]})
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.drop_index("ix_media_files_queued_at")
        batch_op.drop_column("transcode_error")
        batch_op.drop_column("queued_at")
