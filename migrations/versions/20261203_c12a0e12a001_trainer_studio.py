"""Trainer studio: course staff, the working copy of course files, publishing marks

Revision ID: c12a0e12a001
Revises: b10a0e11a004
Create Date: 2026-12-03 15:45:00

`course_staff` says which trainers own or co-train a course (courses without any stay the
admins'). `course_files` is the studio's working copy of a course's folder: the draft that
learners do not see until it is published. Courses gain the digests of the working copy when it
was last published and last imported from files, and when it was last published; certifications
may have a PNG badge. Every new column may be empty, so existing rows need no backfill.
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss

# revision identifiers, used by Alembic.
revision = "c12a0e12a001"
down_revision = "b10a0e11a004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'co_trainer')", name=op.f("ck_course_staff_role_valid")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_staff_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_course_staff_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_staff")),
        sa.UniqueConstraint("course_id", "user_id", name=op.f("uq_course_staff_course_id_user_id")),
    )
    with op.batch_alter_table("course_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_staff_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_staff_user_id"), ["user_id"], unique=False)
    op.create_table(
        "course_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("media_key", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("text IS NOT NULL OR media_key IS NOT NULL", name=op.f("ck_course_files_text_or_media")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_course_files_version_positive")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_files_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_course_files_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_files")),
        sa.UniqueConstraint("course_id", "path", name=op.f("uq_course_files_course_id_path")),
    )
    with op.batch_alter_table("course_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_files_course_id"), ["course_id"], unique=False)
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("files_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("badge_png", sa.LargeBinary(), nullable=True))


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(
        tables=["course_files", "course_staff"],
        columns={
            "courses": ["published_digest", "files_digest", "published_at"],
            "certifications": ["badge_png"],
        },
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_column("badge_png")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("published_at")
        batch_op.drop_column("files_digest")
        batch_op.drop_column("published_digest")
    with op.batch_alter_table("course_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_files_course_id"))
    op.drop_table("course_files")
    with op.batch_alter_table("course_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_staff_user_id"))
        batch_op.drop_index(batch_op.f("ix_course_staff_course_id"))
    op.drop_table("course_staff")
