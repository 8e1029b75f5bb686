"""check constraints: enum-like columns and ranges held by the database itself

Revision ID: a1eb3605d10b
Revises: 7539897e818b
Create Date: 2026-12-03 10:45:00

Rows that break a rule make the upgrade fail (nothing is changed: the migration is one
transaction) and must be corrected first; the message names the constraint.
"""

from alembic import op

from samaschool.migration_safety import refuse_data_loss


# revision identifiers, used by Alembic.
revision = "a1eb3605d10b"
down_revision = "7539897e818b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_certifications_source_valid"), "source IN ('folder', 'admin')")
        batch_op.create_check_constraint(
            op.f("ck_certifications_validity_months_positive"), "validity_months IS NULL OR validity_months >= 1"
        )

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_courses_estimated_hours_not_negative"), "estimated_hours >= 0")
        batch_op.create_check_constraint(
            op.f("ck_courses_level_valid"), "level IN ('beginner', 'intermediate', 'advanced')"
        )

    with op.batch_alter_table("pools", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_pools_counts_not_negative"),
            "quality_min_gold >= 0 AND suspension_days >= 0 AND (auto_approve_days IS NULL OR auto_approve_days >= 0)",
        )
        batch_op.create_check_constraint(
            op.f("ck_pools_limits_positive"),
            "lease_minutes >= 1 AND max_concurrent_claims >= 1 AND overlap >= 1 AND (daily_cap IS NULL OR daily_cap >= 1)",
        )
        batch_op.create_check_constraint(
            op.f("ck_pools_percents_range"),
            "quality_threshold_percent BETWEEN 0 AND 100 AND (auto_approve_accuracy IS NULL OR auto_approve_accuracy BETWEEN 0 AND 100) AND (min_skill_percent IS NULL OR min_skill_percent BETWEEN 0 AND 100)",
        )
        batch_op.create_check_constraint(
            op.f("ck_pools_review_mode_valid"), "review_mode IN ('manual', 'auto_days', 'auto_gold')"
        )
        batch_op.create_check_constraint(op.f("ck_pools_reward_positive"), "reward_minor > 0")
        batch_op.create_check_constraint(
            op.f("ck_pools_status_valid"), "status IN ('draft', 'open', 'paused', 'closed')"
        )
        batch_op.create_check_constraint(
            op.f("ck_pools_task_type_valid"), "task_type IN ('classification', 'free_text', 'tagging', 'transcription')"
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_users_role_valid"), "role IN ('learner', 'trainer', 'admin')")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_api_tokens_scope_valid"), "scope IN ('read')")

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_certificates_cycle_positive"), "cycle >= 1")

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_questions_points_not_negative"), "points >= 0")
        batch_op.create_check_constraint(op.f("ck_questions_source_valid"), "source IN ('folder', 'gift')")
        batch_op.create_check_constraint(
            op.f("ck_questions_type_valid"),
            "type IN ('matching', 'multiple_response', 'numeric', 'ordering', 'short_answer', 'single_choice', 'transcription', 'true_false')",
        )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_tasks_slots_taken_not_negative"), "slots_taken >= 0")

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_assignments_review_state_valid"), "review_state IN ('pending', 'approved', 'rejected')"
        )
        batch_op.create_check_constraint(
            op.f("ck_assignments_state_valid"), "state IN ('claimed', 'submitted', 'expired')"
        )

    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_lessons_minutes_not_negative"), "minutes >= 0")

    with op.batch_alter_table("payout_lines", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_payout_lines_amount_not_negative"), "amount_minor >= 0")
        batch_op.create_check_constraint(op.f("ck_payout_lines_state_valid"), "state IN ('pending', 'paid', 'failed')")

    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_quizzes_pass_mark_percent_range"), "pass_mark_percent BETWEEN 0 AND 100"
        )
        batch_op.create_check_constraint(op.f("ck_quizzes_questions_per_page_positive"), "questions_per_page >= 1")
        batch_op.create_check_constraint(
            op.f("ck_quizzes_review_policy_valid"), "review_policy IN ('score', 'correctness', 'answers')"
        )
        batch_op.create_check_constraint(
            op.f("ck_quizzes_settings_not_negative"),
            "max_attempts >= 0 AND retry_delay_minutes >= 0 AND time_limit_minutes >= 0",
        )

    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_attempts_number_positive"), "number >= 1")
        batch_op.create_check_constraint(
            op.f("ck_attempts_score_percent_range"), "score_percent IS NULL OR score_percent BETWEEN 0 AND 100"
        )
        batch_op.create_check_constraint(op.f("ck_attempts_state_valid"), "state IN ('in_progress', 'submitted')")

    with op.batch_alter_table("earning_entries", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_earning_entries_amount_sign"),
            "(kind = 'reversal' AND amount_minor < 0) OR (kind <> 'reversal' AND amount_minor > 0)",
        )
        batch_op.create_check_constraint(
            op.f("ck_earning_entries_kind_valid"), "kind IN ('approval', 'bonus', 'reversal')"
        )


def downgrade():
    refuse_data_loss()  # dropping constraints loses no data
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_certifications_source_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_certifications_validity_months_positive"), type_="check")

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_courses_estimated_hours_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_courses_level_valid"), type_="check")

    with op.batch_alter_table("pools", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_pools_counts_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_pools_limits_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_pools_percents_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_pools_review_mode_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_pools_reward_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_pools_status_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_pools_task_type_valid"), type_="check")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role_valid"), type_="check")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_tokens_scope_valid"), type_="check")

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_certificates_cycle_positive"), type_="check")

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_questions_points_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_questions_source_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_questions_type_valid"), type_="check")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tasks_slots_taken_not_negative"), type_="check")

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_assignments_review_state_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_assignments_state_valid"), type_="check")

    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_lessons_minutes_not_negative"), type_="check")

    with op.batch_alter_table("payout_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payout_lines_amount_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_payout_lines_state_valid"), type_="check")

    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_quizzes_pass_mark_percent_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_quizzes_questions_per_page_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_quizzes_review_policy_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_quizzes_settings_not_negative"), type_="check")

    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_attempts_number_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_attempts_score_percent_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_attempts_state_valid"), type_="check")

    with op.batch_alter_table("earning_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_earning_entries_amount_sign"), type_="check")
        batch_op.drop_constraint(op.f("ck_earning_entries_kind_valid"), type_="check")
