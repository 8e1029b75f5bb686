"""Media files

Revision ID: b10a0e11a001
Revises: 5a9402eeb828
Create Date: 2026-12-03 12:45:00

- media_files: every stored image and sound, named by the sha256 of its original bytes, with the
  phone-sized variants made from it (samaschool/media/).
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss

# revision identifiers, used by Alembic.
revision = "b10a0e11a001"
down_revision = "5a9402eeb828"
branch_labels = None
depends_on = None


# New NOT NULL columns need a server_default (or a backfill): databases already hold rows.
def upgrade():
    op.create_table(
        "media_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("source_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('image', 'audio')", name=op.f("ck_media_files_kind_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_files")),
        sa.UniqueConstraint("key", name=op.f("uq_media_files_key")),
    )


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(tables=["media_files"])
    op.drop_table("media_files")
