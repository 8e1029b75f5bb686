"""Light factories. Each opens its own app context, commits, and returns a detached object
whose columns are loaded, so tests can read `.id`, `.email`, `.slug` outside any context."""

from __future__ import annotations

import itertools

from samaschool.auth import services as auth_services
from samaschool.catalog.models import Course, Lesson, Module
from samaschool.content.markdown import render_markdown
from samaschool.extensions import db
from samaschool.permissions import Role

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def _detach(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


class Factories:
    def __init__(self, app):
        self.app = app

    def user(self, role: Role = Role.LEARNER, *, email: str | None = None, password: str = PASSWORD, **fields):
        n = next(_sequence)
        with self.app.app_context():
            user = auth_services.sign_up(
                auth_services.SignUp(
                    name=fields.pop("name", f"Learner {n}"),
                    email=email or f"user{n}@example.org",
                    password=password,
                    country=fields.pop("country", "KE"),
                    preferred_language=fields.pop("preferred_language", "en"),
                    **fields,
                ),
                role=role,
            )
            db.session.commit()
            return _detach(user)

    def course(
        self,
        slug: str | None = None,
        *,
        modules: int = 2,
        lessons_per_module: int = 3,
        title: str | None = None,
        level: str = "beginner",
        language: str = "en",
        published: bool = True,
    ) -> Course:
        n = next(_sequence)
        slug = slug or f"course-{n}"
        with self.app.app_context():
            course = Course(
                slug=slug,
                title=title or f"Course {n}",
                summary="A course for testing.",
                level=level,
                language=language,
                estimated_hours=2,
                is_published=published,
            )
            db.session.add(course)
            db.session.flush()
            for m in range(modules):
                module = Module(course_id=course.id, slug=f"module-{m + 1}", title=f"Module {m + 1}", position=m)
                db.session.add(module)
                db.session.flush()
                for i in range(lessons_per_module):
                    body = f"Lesson {m + 1}.{i + 1} text.\n"
                    db.session.add(
                        Lesson(
                            course_id=course.id,
                            module_id=module.id,
                            slug=f"lesson-{m + 1}-{i + 1}",
                            title=f"Lesson {m + 1}.{i + 1}",
                            minutes=5,
                            body_markdown=body,
                            body_html=render_markdown(body),
                            position=i,
                        )
                    )
            db.session.commit()
            return _detach(course)

    def quiz(self, course, *, module: int | None = 1, questions: list[dict] | None = None, **settings):
        """A quiz on `course` (module number, or None for a course exam) with questions
        given as courses/ YAML specs (default: three single-choice questions)."""
        from sqlalchemy import select

        from samaschool.assessments.models import Question, Quiz
        from samaschool.assessments.question_types import REGISTRY
        from samaschool.catalog.models import Module

        specs = questions or [
            {
                "id": f"q{i}",
                "type": "single_choice",
                "text": f"Question {i}?",
                "choices": [{"text": f"Right {i}", "correct": True}, {"text": f"Wrong {i}"}, {"text": f"Other {i}"}],
            }
            for i in range(1, 4)
        ]
        with self.app.app_context():
            module_id = None
            if module is not None:
                module_id = db.session.scalar(
                    select(Module.id).where(Module.course_id == course.id, Module.position == module - 1)
                )
            keys = []
            for spec in specs:
                spec = dict(spec)
                kind = REGISTRY[spec["type"]]
                keys.append(spec["id"])
                exists = db.session.scalar(
                    select(Question.id).where(Question.course_id == course.id, Question.key == spec["id"])
                )
                if exists:
                    continue
                db.session.add(
                    Question(
                        course_id=course.id,
                        key=spec["id"],
                        type=spec["type"],
                        tags=spec.get("tags", []),
                        points=spec.get("points", 1),
                        text_html=render_markdown(spec["text"]),
                        explanation_html=render_markdown(spec.get("explanation", "")),
                        data=kind.check(spec, spec["id"]),
                    )
                )
            quiz = Quiz(
                course_id=course.id,
                module_id=module_id,
                key=settings.pop("key", f"module-{module}" if module else "exam"),
                title=settings.pop("title", "Module quiz"),
                question_keys=[] if settings.get("draw_rules") else keys,
                **{"shuffle_choices": False, "pass_mark_percent": 60, **settings},
            )
            db.session.add(quiz)
            db.session.commit()
            return _detach(quiz)

    def certification(self, course, *, quiz=None, min_percent: int = 80, validity_months: int | None = 12, **fields):
        from samaschool.certification.models import Certification

        criteria = {"courses": [course.slug], "quizzes": []}
        if quiz is not None:
            criteria["quizzes"].append({"course": course.slug, "quiz": quiz.key, "min_percent": min_percent})
        with self.app.app_context():
            certification = Certification(
                slug=fields.pop("slug", f"cert-{next(_sequence)}"),
                name=fields.pop("name", "Data Annotation Certificate"),
                description="Can annotate data to paid-work standards.",
                criteria=criteria,
                validity_months=validity_months,
                badge_svg='<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle r="5"/></svg>',
                **fields,
            )
            db.session.add(certification)
            db.session.commit()
            return _detach(certification)

    def pool(self, *, certification=None, **fields):
        from samaschool.pools.models import Pool

        n = next(_sequence)
        with self.app.app_context():
            pool = Pool(
                slug=fields.pop("slug", f"pool-{n}"),
                name=fields.pop("name", "Product classification"),
                description="Classify product titles.",
                instructions_html="<p>Pick the best label.</p>",
                task_type=fields.pop("task_type", "classification"),
                labels=fields.pop("labels", ["Electronics > Mobile phones", "Grocery > Beverages", "Fashion > Shoes"]),
                reward_minor=fields.pop("reward_minor", 500),
                currency=fields.pop("currency", "KES"),
                status=fields.pop("status", "open"),
                required_certifications=fields.pop(
                    "required_certifications", [certification.slug] if certification else []
                ),
                **fields,
            )
            db.session.add(pool)
            db.session.commit()
            return _detach(pool)

    def tasks(self, pool, count: int = 5, gold_every: int = 0) -> list[int]:
        """`count` tasks; every `gold_every`-th is gold with the answer 'Electronics > Mobile phones'."""
        from samaschool.pools.models import Task

        with self.app.app_context():
            ids = []
            for i in range(1, count + 1):
                gold = bool(gold_every) and i % gold_every == 0
                task = Task(
                    pool_id=pool.id,
                    external_id=f"t{i}",
                    payload={"title": f"Phone model {i}"},
                    gold_answer="Electronics > Mobile phones" if gold else None,
                    is_gold=gold,
                )
                db.session.add(task)
                db.session.flush()
                ids.append(task.id)
            db.session.commit()
            return ids

    def certificate(self, user, certification, **fields):
        """A valid certificate issued now (skipping the learning it normally takes)."""
        from datetime import timedelta

        from samaschool.certification.models import Certificate
        from samaschool.certification.services import new_code
        from samaschool.db_types import utcnow

        with self.app.app_context():
            certificate = Certificate(
                user_id=user.id,
                certification_id=certification.id,
                code=new_code(),
                holder_name=user.name,
                issued_at=utcnow(),
                expires_at=fields.pop("expires_at", utcnow() + timedelta(days=365)),
                **fields,
            )
            db.session.add(certificate)
            db.session.commit()
            return _detach(certificate)

    def staff(self, course, user, role: str = "owner"):
        """`user` (a trainer) owns or co-trains `course`: authors it and watches its learners."""
        from samaschool.studio.models import CourseStaff

        with self.app.app_context():
            db.session.add(CourseStaff(course_id=course.id, user_id=user.id, role=role))
            db.session.commit()

    def enrolment(self, user, course):
        from samaschool.catalog.models import Enrolment

        with self.app.app_context():
            db.session.add(Enrolment(user_id=user.id, course_id=course.id))
            db.session.commit()

    def teaching(self, trainer, *learners, role: str = "co_trainer") -> Course:
        """A course `trainer` co-trains with `learners` enrolled: a trainer makes reset links and
        sees statistics only for the courses they own or co-train."""
        course = self.course(modules=1, lessons_per_module=1)
        self.staff(course, trainer, role)
        for learner in learners:
            self.enrolment(learner, course)
        return course
