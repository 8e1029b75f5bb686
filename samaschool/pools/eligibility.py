"""Who may work in a pool, and why not. The pool list, the claim, the submit and the API all
call `check`, so they can never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from samaschool.catalog.models import Course
from samaschool.certification import services as certificates
from samaschool.certification.models import Certification
from samaschool.choices import country_name
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.learning.services import module_progress
from samaschool.pools.models import Pool, Suspension
from samaschool.pools.quality import accuracy


@dataclass
class Reason:
    code: str  # stable, for the API: not_open, certification_missing, …
    message: str
    course_slug: str | None = None  # where to go to fix it, when a course can


@dataclass
class Eligibility:
    reasons: list[Reason] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def active_suspension(worker_id: int, pool_id: int, now: datetime) -> Suspension | None:
    return db.session.scalar(
        select(Suspension)
        .where(
            Suspension.worker_id == worker_id,
            Suspension.pool_id == pool_id,
            Suspension.lifted_at.is_(None),
            Suspension.ends_at > now,
        )
        .order_by(Suspension.ends_at.desc())
        .limit(1)
    )


def check(user, pool: Pool, now: datetime | None = None) -> Eligibility:
    now = now or utcnow()
    result = Eligibility()
    if pool.status != "open":
        result.reasons.append(Reason("not_open", _("This pool is not taking workers now.")))
    if not user.is_active:
        result.reasons.append(Reason("account_inactive", _("This account is deactivated.")))
    for slug in pool.required_certifications:
        certification = db.session.scalar(select(Certification).where(Certification.slug == slug))
        if certification is None:  # a requirement nobody can meet locks the pool; it never opens it
            result.reasons.append(
                Reason("certification_missing", _("This pool needs a certification that is not offered."))
            )
            continue
        result.reasons.extend(_certification_reasons(user, certification, now))
    if pool.countries and user.country not in pool.countries:
        places = ", ".join(country_name(code) for code in pool.countries)
        result.reasons.append(Reason("country", _("This pool is open to workers in: %(places)s.", places=places)))
    suspension = active_suspension(user.id, pool.id, now)
    if suspension is not None:
        result.reasons.append(
            Reason(
                "suspended",
                _(
                    "You are paused in this pool until %(date)s: %(reason)s",
                    date=suspension.ends_at.strftime("%Y-%m-%d %H:%M UTC"),
                    reason=suspension.reason,
                ),
            )
        )
    if pool.min_skill_percent is not None:
        skill = accuracy(user.id, pool.id)
        if skill.answered < pool.quality_min_gold or skill.percent < pool.min_skill_percent:
            result.reasons.append(
                Reason(
                    "skill", _("This pool needs an accuracy of at least %(percent)d%%.", percent=pool.min_skill_percent)
                )
            )
    return result


def _certification_reasons(user, certification: Certification, now: datetime) -> list[Reason]:
    latest = certificates.latest_certificate(user.id, certification.id)
    if latest is not None and latest.status(now) == "valid":
        return []
    course_slug = next(iter(certification.criteria.get("courses", [])), None) or next(
        (rule["course"] for rule in certification.criteria.get("quizzes", [])), None
    )
    if latest is not None and latest.status(now) == "revoked":
        return [
            Reason(
                "certification_revoked",
                _("Your %(name)s was revoked: %(reason)s", name=certification.name, reason=latest.revocation_reason),
            )
        ]
    if latest is not None:
        return [
            Reason(
                "certification_expired",
                _("Your %(name)s expired. Pass the exam again to renew it.", name=certification.name),
                course_slug,
            )
        ]
    detail = ""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug)) if course_slug else None
    if course is not None:
        done, total = module_progress(user.id, course.id)
        detail = " " + _("You have completed %(done)d of %(total)d modules.", done=done, total=total)
    return [
        Reason(
            "certification_missing",
            _("Earn the %(name)s.", name=certification.name) + detail,
            course_slug,
        )
    ]
