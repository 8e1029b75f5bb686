"""`flask demo generate`: deterministic, refuses real databases, realistic proportions, rows the
app's own rules agree with, and pages that render on them."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text

from samaschool.assessments.models import Attempt, AttemptQuestion, Question, Quiz
from samaschool.assessments.question_types import REGISTRY
from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment, Lesson, Module
from samaschool.certification import services as certification_services
from samaschool.certification.models import Certificate, Certification
from samaschool.db_types import utcnow
from samaschool.demo.generator import DEFAULT_PASSWORD, DEMO_DOMAIN
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.permissions import Role
from samaschool.pools.models import Assignment, EarningEntry, PayoutLine, Task

LEARNERS = "300"
UNTIL = "2026-06-01"

MIXED = [
    {
        "id": "pick",
        "type": "single_choice",
        "text": "Pick?",
        "choices": [{"text": "Yes", "correct": True}, {"text": "No"}],
    },
    {"id": "tf", "type": "true_false", "text": "True?", "answer": True},
    {
        "id": "many",
        "type": "multiple_response",
        "text": "Which?",
        "choices": [{"text": "A", "correct": True}, {"text": "B", "correct": True}, {"text": "C"}],
    },
    {"id": "order", "type": "ordering", "text": "Order?", "items": ["first", "second", "third"]},
    {
        "id": "pairs",
        "type": "matching",
        "text": "Match?",
        "pairs": [{"left": "1", "right": "one"}, {"left": "2", "right": "two"}],
    },
    {"id": "number", "type": "numeric", "text": "How many?", "answer": 42},
    {"id": "word", "type": "short_answer", "text": "Word?", "answers": ["guard"]},
    {"id": "write", "type": "transcription", "text": "Write it", "reference": "The shop opens at eight."},
]
EXAM = [
    {
        "id": f"exam-{n}",
        "type": "single_choice",
        "tags": ["exam"],
        "text": f"Exam question {n}?",
        "choices": [{"text": f"Right {n}", "correct": True}, {"text": f"Wrong {n}"}],
    }
    for n in range(1, 7)
]


def _base(make) -> None:
    """Two courses with module quizzes (every kind of question) and an exam drawn in a section,
    two certifications and a pool: the generator works on what a database holds."""
    annotation = make.course("annotation", title="Annotation", modules=3, lessons_per_module=3)
    make.quiz(annotation, module=1, questions=MIXED)
    make.quiz(annotation, module=2)
    make.quiz(
        annotation,
        module=None,
        questions=EXAM,
        draw_rules=[{"tags": ["exam"], "count": 4, "section": "Everything", "min_correct": 3}],
        pass_mark_percent=80,
        retry_delay_minutes=60,
    )
    exam = _exam(make.app, annotation.id)
    certification = make.certification(annotation, quiz=exam, slug="annotation", name="Annotation Certificate")
    basics = make.course("basics", title="Basics", modules=2, lessons_per_module=2)
    make.quiz(basics, module=1)
    make.certification(basics, slug="basics", name="Basics Certificate", validity_months=None)
    pool = make.pool(certification=certification, slug="products", review_mode="auto_days", auto_approve_days=3)
    make.tasks(pool, 20, gold_every=5)


def _exam(app, course_id: int):
    with app.app_context():
        exam = db.session.scalar(select(Quiz).where(Quiz.course_id == course_id, Quiz.key == "exam"))
        db.session.expunge(exam)
        return exam


def _generate(app, *args: str):
    return app.test_cli_runner().invoke(args=["demo", "generate", "--learners", LEARNERS, "--until", UNTIL, *args])


def _empty(app) -> None:
    with app.app_context(), db.engine.begin() as connection:
        tables = db.metadata.sorted_tables
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


def _digests(app, before: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Per table, the rows added since `before` (largest ids): how many, and a hash of them all."""
    result = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(
                select(table).where(table.c.id > before.get(table.name, 0)).order_by(table.c.id)
            ).all()
            if rows:
                result[table.name] = (
                    len(rows),
                    hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest(),
                )
    return result


def _largest_ids(app) -> dict[str, int]:
    with app.app_context():
        return {table.name: db.session.scalar(select(func.max(table.c.id))) or 0 for table in db.metadata.sorted_tables}


def _fresh_run(app, make, seed: str) -> dict[str, tuple[int, str]]:
    _empty(app)
    _base(make)
    before = _largest_ids(app)
    result = _generate(app, "--seed", seed)
    assert result.exit_code == 0, result.output
    return _digests(app, before)


def test_the_same_seed_makes_the_same_rows_and_another_seed_other_rows(app, make):
    first = _fresh_run(app, make, "7")
    again = _fresh_run(app, make, "7")
    other = _fresh_run(app, make, "8")

    assert first == again
    for table in ("users", "enrolments", "lesson_progress", "attempts", "certificates", "assignments"):
        assert table in first, table
        assert other[table] != first[table], table


def test_a_database_with_real_accounts_is_refused_unless_forced(app, make):
    _base(make)
    make.user(email="amina@example.org")

    refused = _generate(app)
    assert refused.exit_code != 0
    assert "1 real account" in refused.output and "--force" in refused.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1

    forced = _generate(app, "--force")
    assert forced.exit_code == 0, forced.output
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))) == 302
        )


def test_the_first_admin_and_the_demo_pools_do_not_count_as_real_accounts(app, make):
    _base(make)
    assert app.test_cli_runner().invoke(args=["users", "ensure-admin"]).exit_code == 0

    result = _generate(app)

    assert result.exit_code == 0, result.output
    assert "samaschool-demo" in result.output  # the demo accounts' password, printed once


def test_an_admin_made_by_promoting_an_account_is_a_real_account(app, make):
    _base(make)
    make.user(Role.ADMIN, email="boss@example.org")

    refused = _generate(app)
    assert refused.exit_code != 0 and "1 real account" in refused.output


def test_a_seed_is_generated_once_and_another_seed_adds_more(app, make):
    _base(make)
    assert _generate(app, "--seed", "3").exit_code == 0
    counts = _largest_ids(app)

    again = _generate(app, "--seed", "3")
    assert again.exit_code == 0
    assert "already generated" in again.output
    assert _largest_ids(app) == counts

    assert _generate(app, "--seed", "4").exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2 * 302


def test_without_courses_it_says_what_to_run_first(app):
    result = _generate(app)

    assert result.exit_code != 0
    assert "flask --app app courses import" in result.output
    assert "flask --app app pools seed-demo" in result.output


def test_proportions_look_like_a_real_programme(app, make):
    _base(make)
    assert _generate(app, "--seed", "11").exit_code == 0

    with app.app_context():
        learners = db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.LEARNER))
        enrolments = db.session.scalar(select(func.count()).select_from(Enrolment))
        certified = db.session.scalar(select(func.count(func.distinct(Certificate.user_id))))
        shared_gender = db.session.scalar(select(func.count()).where(User.gender.is_not(None)))
        countries = dict(db.session.execute(select(User.country, func.count()).group_by(User.country)).all())
        assert learners == 300
        assert 1.2 <= enrolments / learners <= 1.8
        assert 0.1 <= certified / learners <= 0.5
        assert 0.5 <= shared_gender / 302 <= 0.9  # optional: shared by some, not all
        assert countries["KE"] > countries["UG"] > countries["US"]
        # Fewer learners finish each lesson than the one before it.
        done = (
            db.session.execute(
                select(func.count(LessonProgress.id))
                .select_from(Lesson)
                .join(Module, Module.id == Lesson.module_id)
                .outerjoin(LessonProgress, LessonProgress.lesson_id == Lesson.id)
                .where(Module.course_id == db.session.scalar(select(Module.course_id).limit(1)))
                .group_by(Lesson.id, Module.position, Lesson.position)
                .order_by(Module.position, Lesson.position)
            )
            .scalars()
            .all()
        )
        assert done == sorted(done, reverse=True) and done[0] > 2 * done[-1] > 0
        assert db.session.scalar(select(func.count()).select_from(Assignment)) > 0


def test_the_rows_agree_with_the_apps_own_rules(app, make):
    _base(make)
    assert _generate(app, "--seed", "5").exit_code == 0

    # Every certificate earned is held: the app's own safety net finds nothing to issue.
    awarded = app.test_cli_runner().invoke(args=["certs", "award-due"])
    assert "Issued 0 certificate(s)" in awarded.output
    with app.app_context():
        # ... and every certificate held was earned, by the app's criteria.
        for certification in db.session.scalars(select(Certification)):
            holders = db.session.scalars(
                select(Certificate.user_id).where(Certificate.certification_id == certification.id)
            ).all()
            assert holders
            for user_id in holders:
                assert all(s.met for s in certification_services.criteria_status(user_id, certification))
        # Stored answers are graded as the question types grade them, and attempts add them up.
        stored = db.session.execute(
            select(AttemptQuestion, Question.type, Question.data)
            .join(Question, Question.id == AttemptQuestion.question_id)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .where(Attempt.state == "submitted")
        ).all()
        assert {kind for _aq, kind, _data in stored} >= {"single_choice", "ordering", "matching", "transcription"}
        for aq, kind, data in stored:
            grade = REGISTRY[kind].grade(data, aq.response)
            assert (aq.score, aq.is_correct) == (round(grade.fraction * aq.points, 4), grade.correct)
        for attempt in db.session.scalars(select(Attempt).where(Attempt.questions.any())):
            if attempt.state == "submitted":
                assert attempt.score_points == sum(aq.score for aq in attempt.questions)
        # A claimed slot per answer; every approval paid once; a line pays exactly its entries.
        for task in db.session.scalars(select(Task).where(Task.external_id.startswith("demo-"))):
            answered = db.session.scalar(
                select(func.count()).where(Assignment.task_id == task.id, Assignment.state == "submitted")
            )
            assert task.slots_taken == answered
        approvals = db.session.scalar(select(func.count()).where(EarningEntry.kind == "approval"))
        approved_once = db.session.scalar(
            select(func.count(func.distinct(EarningEntry.assignment_id))).where(EarningEntry.kind == "approval")
        )
        assert approvals == approved_once > 0
        for line in db.session.scalars(select(PayoutLine).where(PayoutLine.state != "failed")):
            paid = db.session.scalar(
                select(func.sum(EarningEntry.amount_minor)).where(EarningEntry.payout_line_id == line.id)
            )
            assert paid == line.amount_minor > 0


def test_pages_render_for_generated_learners_and_admins(app, make, client, auth):
    _base(make)
    assert _generate(app, "--seed", "9").exit_code == 0
    with app.app_context():
        holder, email, code = db.session.execute(
            select(User.name, User.email, Certificate.code)
            .join(Certificate, Certificate.user_id == User.id)
            .join(Assignment, Assignment.worker_id == User.id)
            .where(Certificate.revoked_at.is_(None), Certificate.expires_at > utcnow())
            .order_by(User.id)
            .limit(1)
        ).one()

    auth.login(email, DEFAULT_PASSWORD)
    assert client.get("/dashboard").status_code == 200
    page = client.get(f"/certificates/{code}")
    assert page.status_code == 200 and holder in page.get_data(as_text=True)
    badge = client.get(f"/certificates/{code}/badge.svg")
    assert badge.status_code == 200
    with app.app_context():
        token = db.session.scalar(select(Certificate.credential_jwt).where(Certificate.code == code))
    verified = client.post("/verify.json", json={"credential": token})
    assert verified.status_code == 200 and verified.get_json()["valid"] is True
    auth.logout()

    admin = make.user(Role.ADMIN, email="admin@example.org")  # after the run: ids do not collide
    auth.login(admin.email)
    with app.app_context():
        newest = db.session.scalar(
            select(Certificate.holder_name).order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1)
        )
    listed = client.get("/admin/certificates")
    assert listed.status_code == 200 and newest in listed.get_data(as_text=True)
