"""Quiz sections and limits

Revision ID: b10a0e11a004
Revises: b10a0e11a003
Create Date: 2026-12-03 13:40:00

Quizzes gain a limit of attempts started in any 24 hours (`attempts_per_day`, empty: none),
sections with minimums for fixed lists (`sections`; drawn quizzes keep theirs in `draw_rules`)
and the review policy `after_pass`. Attempts keep their sections as drawn and, once graded, each
section's result (`attempts.sections`). Questions name the lesson they assess (`lesson_slug`).
Every new column may be empty, so existing rows need no backfill.
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import DataLossRefused, force_given, refuse_data_loss

# revision identifiers, used by Alembic.
revision = "b10a0e11a004"
down_revision = "b10a0e11a003"
branch_labels = None
depends_on = None

OLD_POLICIES = "review_policy IN ('score', 'correctness', 'answers')"
NEW_POLICIES = "review_policy IN ('score', 'correctness', 'answers', 'after_pass')"


def upgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sections", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("attempts_per_day", sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f("ck_quizzes_review_policy_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_quizzes_review_policy_valid"), NEW_POLICIES)
        batch_op.create_check_constraint(
            op.f("ck_quizzes_attempts_per_day_range"),
            "attempts_per_day IS NULL OR attempts_per_day BETWEEN 1 AND 20",
        )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lesson_slug", sa.String(length=60), nullable=True))
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sections", sa.JSON(), nullable=True))


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(
        tables=[],
        columns={"quizzes": ["sections", "attempts_per_day"], "questions": ["lesson_slug"], "attempts": ["sections"]},
    )
    bind = op.get_bind()
    # Quizzes that show answers only after a pass cannot stay under the old CHECK: they become
    # `score` (the closest older policy), which needs force like any other loss.
    held = bind.execute(sa.text("SELECT id FROM quizzes WHERE review_policy = 'after_pass' LIMIT 1")).first()
    if held is not None:
        if not force_given():
            raise DataLossRefused(
                "This downgrade would change the review policy of quizzes using 'after_pass' to 'score'. "
                "Nothing was changed. Back up the database first; to go ahead anyway run "
                "`flask --app app database downgrade REVISION --force` (or `flask db downgrade -x force=yes`)."
            )
        bind.execute(sa.text("UPDATE quizzes SET review_policy = 'score' WHERE review_policy = 'after_pass'"))
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_column("sections")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("lesson_slug")
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_quizzes_attempts_per_day_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_quizzes_review_policy_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_quizzes_review_policy_valid"), OLD_POLICIES)
        batch_op.drop_column("attempts_per_day")
        batch_op.drop_column("sections")
