"""Course completions on enrolments, and indexes for the statistics

Revision ID: d13a0e13a001
Revises: c12a0e12a001
Create Date: 2026-12-03 16:45:00

An enrolment remembers when its course was completed (every live lesson done and every live quiz
passed), so the statistics count completions from 150,000 enrolments rather than from a million
progress rows. Existing enrolments are backfilled from the progress and attempts already stored:
complete ones get the time of their last lesson or passing attempt, whichever came later.
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss

# revision identifiers, used by Alembic.
revision = "d13a0e13a001"
down_revision = "c12a0e12a001"
branch_labels = None
depends_on = None

LIVE_LESSONS = """
    SELECT COUNT(*) FROM lessons l JOIN modules m ON m.id = l.module_id
    WHERE l.course_id = enrolments.course_id AND l.archived_at IS NULL AND m.archived_at IS NULL
"""
DONE_LESSONS = """
    SELECT COUNT(*) FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id JOIN modules m ON m.id = l.module_id
    WHERE p.user_id = enrolments.user_id AND l.course_id = enrolments.course_id
      AND l.archived_at IS NULL AND m.archived_at IS NULL
"""
UNPASSED_QUIZ = """
    SELECT 1 FROM quizzes q WHERE q.course_id = enrolments.course_id AND q.archived_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.quiz_id = q.id AND a.user_id = enrolments.user_id
                      AND a.passed = :yes)
"""
LAST_LESSON = """
    SELECT MAX(p.completed_at) FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id
    WHERE p.user_id = enrolments.user_id AND l.course_id = enrolments.course_id
"""
LATEST_PASSING_ATTEMPT = """
    SELECT MAX(a.submitted_at) FROM attempts a JOIN quizzes q ON q.id = a.quiz_id
    WHERE a.user_id = enrolments.user_id AND q.course_id = enrolments.course_id AND a.passed = :yes
"""


def upgrade():
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_enrolments_course_completed", ["course_id", "completed_at"], unique=False)
        batch_op.create_index("ix_enrolments_enrolled_at", ["enrolled_at"], unique=False)
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attempts_quiz_state_passed",
            ["quiz_id", "state", "passed", "user_id", "number", "submitted_at"],
            unique=False,
        )
    op.get_bind().execute(
        sa.text(
            f"""
            UPDATE enrolments SET completed_at = CASE
                WHEN ({LATEST_PASSING_ATTEMPT}) IS NULL OR ({LAST_LESSON}) >= ({LATEST_PASSING_ATTEMPT}) THEN ({LAST_LESSON})
                ELSE ({LATEST_PASSING_ATTEMPT}) END
            WHERE ({LIVE_LESSONS}) > 0 AND ({LIVE_LESSONS}) = ({DONE_LESSONS}) AND NOT EXISTS ({UNPASSED_QUIZ})
            """  # noqa: S608 (no user input)
        ),
        {"yes": True},
    )


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(derived={"enrolments": ["completed_at"]})
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_quiz_state_passed")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrolments_enrolled_at")
        batch_op.drop_index("ix_enrolments_course_completed")
        batch_op.drop_column("completed_at")
