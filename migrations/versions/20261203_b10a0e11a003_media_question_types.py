"""Media question types

Revision ID: b10a0e11a003
Revises: b10a0e11a002
Create Date: 2026-12-03 12:45:00

Questions gain three types: image_classification, audio_transcription and image_region. Their
media live in media_files; a question keeps the media key in its `data`.
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import DataLossRefused, force_given, refuse_data_loss

# revision identifiers, used by Alembic.
revision = "b10a0e11a003"
down_revision = "b10a0e11a002"
branch_labels = None
depends_on = None

OLD_TYPES = (
    "matching",
    "multiple_response",
    "numeric",
    "ordering",
    "short_answer",
    "single_choice",
    "transcription",
    "true_false",
)
NEW_TYPES = ("audio_transcription", "image_classification", "image_region")
NEW_QUESTIONS = "SELECT id FROM questions WHERE type IN ('audio_transcription', 'image_classification', 'image_region')"
DELETE_ANSWERS = "DELETE FROM attempt_questions WHERE question_id IN (" + NEW_QUESTIONS + ")"  # noqa: S608 (constants)
DELETE_QUESTIONS = "DELETE FROM questions WHERE id IN (" + NEW_QUESTIONS + ")"  # noqa: S608 (constants)


def _listed(types) -> str:
    return "type IN (" + ", ".join(f"'{name}'" for name in types) + ")"


def upgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_questions_type_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_questions_type_valid"), _listed(OLD_TYPES + NEW_TYPES))


def downgrade():
    # Nothing is dropped; but questions of the new types cannot stay under the old CHECK, and
    # deleting them deletes learners' answers to them: refuse unless forced.
    refuse_data_loss(tables=[], columns={})
    bind = op.get_bind()
    held = bind.execute(sa.text(NEW_QUESTIONS + " LIMIT 1")).first()
    if held is not None:
        if not force_given():
            raise DataLossRefused(
                "This downgrade would delete the questions of types " + ", ".join(NEW_TYPES) + " and the answers "
                "to them. Nothing was changed. Back up the database first; to go ahead anyway run "
                "`flask --app app database downgrade REVISION --force` (or `flask db downgrade -x force=yes`)."
            )
        bind.execute(sa.text(DELETE_ANSWERS))
        bind.execute(sa.text(DELETE_QUESTIONS))
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_questions_type_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_questions_type_valid"), _listed(OLD_TYPES))
