"""The database itself refuses impossible rows: enum-like columns and ranges are CHECK
constraints, so no code path (a bug, a script, a hand-written UPDATE) can store them."""

from __future__ import annotations

import pytest
from sqlalchemy import CheckConstraint, text
from sqlalchemy.exc import IntegrityError

from samaschool.assessments.models import QUESTION_TYPES
from samaschool.assessments.question_types import REGISTRY as QUESTION_REGISTRY
from samaschool.extensions import db
from samaschool.pools.models import TASK_TYPES
from samaschool.pools.task_types import REGISTRY as TASK_REGISTRY
from tests.migrations.fill import allowed_values, fill

# A statement that breaks each range rule (row 1 exists: the generic filler made it).
BREAKING = {
    "ck_courses_estimated_hours_not_negative": "UPDATE courses SET estimated_hours = -1",
    "ck_lessons_minutes_not_negative": "UPDATE lessons SET minutes = -5",
    "ck_questions_points_not_negative": "UPDATE questions SET points = -1",
    "ck_quizzes_pass_mark_percent_range": "UPDATE quizzes SET pass_mark_percent = 101",
    "ck_quizzes_settings_not_negative": "UPDATE quizzes SET max_attempts = -1",
    "ck_quizzes_questions_per_page_positive": "UPDATE quizzes SET questions_per_page = 0",
    "ck_quizzes_attempts_per_day_range": "UPDATE quizzes SET attempts_per_day = 21",
    "ck_course_files_text_or_media": "UPDATE course_files SET text = NULL, media_key = NULL",
    "ck_course_files_version_positive": "UPDATE course_files SET version = 0",
    "ck_attempts_number_positive": "UPDATE attempts SET number = 0",
    "ck_attempts_score_percent_range": "UPDATE attempts SET score_percent = 100.5",
    "ck_certifications_validity_months_positive": "UPDATE certifications SET validity_months = 0",
    "ck_certificates_cycle_positive": "UPDATE certificates SET cycle = 0",
    "ck_pools_reward_positive": "UPDATE pools SET reward_minor = 0",
    "ck_pools_limits_positive": "UPDATE pools SET overlap = 0",
    "ck_pools_percents_range": "UPDATE pools SET quality_threshold_percent = 150",
    "ck_pools_counts_not_negative": "UPDATE pools SET suspension_days = -1",
    "ck_pools_media_percents_range": "UPDATE pools SET iou_threshold_percent = 0",
    "ck_tasks_slots_taken_not_negative": "UPDATE tasks SET slots_taken = -1",
    "ck_pool_skill_snapshots_counts_range": "UPDATE pool_skill_snapshots SET correct = answered + 1",
    "ck_payout_lines_amount_not_negative": "UPDATE payout_lines SET amount_minor = -1",
    "ck_earning_entries_amount_sign": "UPDATE earning_entries SET kind = 'reversal'",  # a positive reversal
    "ck_mail_outbox_attempts_not_negative": "UPDATE mail_outbox SET attempts = -1",
}


def _checks():
    return [
        (table.name, constraint)
        for table in db.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    ]


def _refused(app, statement: str) -> bool:
    with app.app_context(), db.engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.execute(text(statement))
        except IntegrityError:
            return True
        finally:
            transaction.rollback()
    return False


@pytest.fixture
def rows(app):
    with app.app_context(), db.engine.begin() as connection:
        fill(connection, allowed_values(db.metadata))


def test_every_check_constraint_refuses_a_breaking_row(app, rows):
    ranges = []
    for table, constraint in _checks():
        allowed = constraint.info.get("allowed")
        if allowed:
            statement = f"UPDATE {table} SET {constraint.info['column']} = 'bogus'"  # noqa: S608 (names from the models)
        else:
            statement = BREAKING.get(constraint.name)
            assert statement, f"add a breaking statement for {constraint.name} to BREAKING"
            ranges.append(constraint.name)
        assert _refused(app, statement), f"{constraint.name} let through: {statement}"
    assert sorted(ranges) == sorted(BREAKING)


def test_the_allowed_values_still_go_in(app, rows):
    assert not _refused(app, "UPDATE pools SET status = 'closed', overlap = 3, daily_cap = NULL")
    assert not _refused(app, "UPDATE earning_entries SET kind = 'reversal', amount_minor = -5")


def test_type_lists_in_the_schema_match_the_registries():
    assert set(QUESTION_TYPES) == set(QUESTION_REGISTRY)
    assert set(TASK_TYPES) == set(TASK_REGISTRY)
