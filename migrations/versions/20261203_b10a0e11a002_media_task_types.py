"""Media task types

Revision ID: b10a0e11a002
Revises: b10a0e11a001
Create Date: 2026-12-03 12:45:00

New task types (image classification and tagging, bounding boxes, audio transcription, comparing
AI answers) and the pool settings they are graded by. A downgrade refuses while a pool uses one
of the new types: the old CHECK constraint would not hold it.
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import DataLossRefused, refuse_data_loss

# revision identifiers, used by Alembic.
revision = "b10a0e11a002"
down_revision = "b10a0e11a001"
branch_labels = None
depends_on = None

OLD_TYPES = ("classification", "free_text", "tagging", "transcription")
NEW_TYPES = (
    *OLD_TYPES,
    "ai_comparison",
    "audio_transcription",
    "bounding_boxes",
    "image_classification",
    "image_tagging",
)


def _in(values):
    return "task_type IN (" + ", ".join(f"'{value}'" for value in values) + ")"


# New NOT NULL columns need a server_default (or a backfill): databases already hold rows.
def upgrade():
    with op.batch_alter_table("pools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("iou_threshold_percent", sa.Integer(), server_default="50", nullable=False))
        batch_op.add_column(sa.Column("max_error_percent", sa.Integer(), server_default="10", nullable=False))
        batch_op.drop_constraint(op.f("ck_pools_task_type_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_pools_task_type_valid"), _in(NEW_TYPES))
        batch_op.create_check_constraint(
            op.f("ck_pools_media_percents_range"),
            "iou_threshold_percent BETWEEN 1 AND 100 AND max_error_percent BETWEEN 0 AND 100",
        )


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(tables=[], columns={"pools": ["iou_threshold_percent", "max_error_percent"]})
    bind = op.get_bind()
    new = [value for value in NEW_TYPES if value not in OLD_TYPES]
    in_use = (
        bind.execute(
            sa.text("SELECT DISTINCT task_type FROM pools WHERE task_type IN :types").bindparams(
                sa.bindparam("types", expanding=True)
            ),
            {"types": new},
        )
        .scalars()
        .all()
    )
    if in_use:  # even when forced: the old CHECK constraint could not be created
        raise DataLossRefused(
            "Pools use task types this older version does not know: "
            + ", ".join(sorted(in_use))
            + ". Nothing was changed. Change or delete those pools first."
        )
    with op.batch_alter_table("pools", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_pools_media_percents_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_pools_task_type_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_pools_task_type_valid"), _in(OLD_TYPES))
        batch_op.drop_column("max_error_percent")
        batch_op.drop_column("iou_threshold_percent")
