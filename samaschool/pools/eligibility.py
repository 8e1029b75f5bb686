"""Who may work in a pool, and why not. The rule has two forms, kept side by side here:

- `check` (and `can_work`, its yes or no) for one worker and one pool, with the reasons shown
  to the worker; `check_pools` is the same for one worker and many pools, in a fixed number
  of queries (the pool list). The pool pages, the claim, the submit and the API call these.
- `eligible_users_filter` (and `eligible_users`, the query) for the database: every worker who
  may work in a pool, for the API's list of eligible workers.

Change one, change the other: tests/pools/test_eligibility_agreement.py runs both on a worker
in every state the rule knows and requires the same answer.

The rule: the pool is open; the account is active; for every certification the pool requires,
the worker's latest certificate of it (highest cycle) is neither revoked nor expired; the
worker's country is one of the pool's countries, if it lists any; no suspension in the pool is
running; and if the pool asks for a skill, the worker has at least `quality_min_gold` answers
among their latest gold answers there with an accuracy of at least `min_skill_percent`, as of
the accuracy they are shown (quality.py's snapshot, taken every few answers: eligibility must not
change on one gold answer either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Row, and_, bindparam, exists, false, or_, select
from sqlalchemy.orm import aliased, lazyload

from samaschool.auth.models import User
from samaschool.catalog.models import Course
from samaschool.certification.models import Certificate, Certification
from samaschool.choices import country_name
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.learning.services import modules_progress
from samaschool.pools.models import Pool, SkillSnapshot, Suspension
from samaschool.pools.quality import Accuracy, shown_accuracies
from samaschool.reads import core_execute


@dataclass
class Reason:
    code: str  # stable, for the API: not_open, certification_missing, …
    message: str  # for the worker
    course_slug: str | None = None  # where to go to fix it, when a course can
    # For anyone else (the API), when `message` holds what only the worker may read.
    public_message: str | None = None


@dataclass
class Eligibility:
    reasons: list[Reason] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


# One worker ---------------------------------------------------------------------------------


def check(user, pool: Pool, now: datetime | None = None) -> Eligibility:
    """Whether `user` may work in `pool` now, and every reason why not."""
    return check_pools(user, [pool], now)[pool.id]


def can_work(user, pool: Pool, now: datetime | None = None) -> bool:
    return check(user, pool, now).eligible


def check_pools(
    user, pools: list[Pool], now: datetime | None = None, *, certificates: list[Certificate] | None = None
) -> dict[int, Eligibility]:
    """`check` for one worker and many pools: pool id -> Eligibility, in a fixed number of
    queries whatever the number of pools (one per kind of fact, each only when needed).

    `certificates`: every certificate the worker has (with its certification), when the caller
    has loaded them already; only for pools each of whose required certifications is among
    them, since those are then the only certifications known."""
    now = now or utcnow()
    facts = _Facts.gather(user, pools, now, certificates)
    return {pool.id: _check(user, pool, facts, now) for pool in pools}


# Built once (samaschool/reads.py): the claim, the submit, the pool pages and the dashboard run them.
# The certifications and the worker's certificates of them, in one statement.
_CERTIFICATIONS_AND_CERTIFICATES = (
    select(Certification, Certificate)
    .outerjoin(
        Certificate,
        and_(Certificate.certification_id == Certification.id, Certificate.user_id == bindparam("user_id")),
    )
    .where(Certification.slug.in_(bindparam("slugs", expanding=True)))
    .order_by(Certification.id, Certificate.cycle)
    .options(lazyload(Certificate.certification))  # the row's own certification, already loaded
)
# What a running suspension shows: when it ends and why.
_RUNNING_SUSPENSIONS = (
    select(Suspension.pool_id, Suspension.ends_at, Suspension.reason)
    .where(
        Suspension.worker_id == bindparam("user_id"),
        Suspension.pool_id.in_(bindparam("pool_ids", expanding=True)),
        Suspension.lifted_at.is_(None),
        Suspension.ends_at > bindparam("now"),
    )
    .order_by(Suspension.ends_at)
)


@dataclass
class _Facts:
    """What the rule needs to know about one worker, for a set of pools."""

    certifications: dict[str, Certification]  # by slug
    latest: dict[int, Certificate]  # the worker's latest certificate, by certification id
    modules: dict[str, tuple[int, int]]  # (modules done, modules) by course slug
    suspensions: dict[int, Row]  # the running suspension ending last (pool_id, ends_at, reason), by pool id
    skills: dict[int, Accuracy]  # by pool id, for pools that ask for a skill

    @classmethod
    def gather(cls, user, pools: list[Pool], now: datetime, certificates: list[Certificate] | None = None) -> _Facts:
        slugs = {slug for pool in pools for slug in pool.required_certifications}
        certifications: dict[str, Certification] = {}
        latest: dict[int, Certificate] = {}
        if certificates is not None:
            for certificate in sorted(certificates, key=lambda c: c.cycle):
                if certificate.certification.slug in slugs:
                    certifications[certificate.certification.slug] = certificate.certification
                    latest[certificate.certification_id] = certificate  # the highest cycle wins
        elif slugs:
            for certification, certificate in db.session.execute(
                _CERTIFICATIONS_AND_CERTIFICATES, {"user_id": user.id, "slugs": sorted(slugs)}
            ):
                certifications[certification.slug] = certification
                if certificate is not None:
                    latest[certification.id] = certificate  # the highest cycle wins
        never_held = {_course_slug(c) for c in certifications.values() if c.id not in latest} - {None}
        modules = {}
        if never_held:
            courses = {c.id: c.slug for c in db.session.scalars(select(Course).where(Course.slug.in_(never_held)))}
            modules = {courses[cid]: done for cid, done in modules_progress(user.id, courses).items()}
        suspensions: dict[int, Row] = {}
        if pools:
            for suspension in core_execute(
                _RUNNING_SUSPENSIONS, {"user_id": user.id, "pool_ids": [pool.id for pool in pools], "now": now}
            ):
                suspensions[suspension.pool_id] = suspension  # the one ending last wins
        skills = shown_accuracies(user.id, [pool.id for pool in pools if pool.min_skill_percent is not None])
        return cls(certifications, latest, modules, suspensions, skills)


def _course_slug(certification: Certification) -> str | None:
    """The course that leads to the certification: where a worker without it is sent."""
    return next(iter(certification.criteria.get("courses", [])), None) or next(
        (rule["course"] for rule in certification.criteria.get("quizzes", [])), None
    )


def _check(user, pool: Pool, facts: _Facts, now: datetime) -> Eligibility:
    result = Eligibility()
    if pool.status != "open":
        result.reasons.append(Reason("not_open", _("This pool is not taking workers now.")))
    if not user.is_active:
        result.reasons.append(Reason("account_inactive", _("This account is deactivated.")))
    for slug in pool.required_certifications:
        certification = facts.certifications.get(slug)
        if certification is None:  # a requirement nobody can meet locks the pool; it never opens it
            result.reasons.append(
                Reason("certification_missing", _("This pool needs a certification that is not offered."))
            )
            continue
        result.reasons.extend(_certification_reasons(certification, facts, now))
    if pool.countries and user.country not in pool.countries:
        places = ", ".join(country_name(code) for code in pool.countries)
        result.reasons.append(Reason("country", _("This pool is open to workers in: %(places)s.", places=places)))
    suspension = facts.suspensions.get(pool.id)
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
        skill = facts.skills[pool.id]
        # In whole numbers, as the database compares: percent < minimum, without a float.
        if skill.answered < pool.quality_min_gold or skill.correct * 100 < pool.min_skill_percent * skill.answered:
            result.reasons.append(
                Reason(
                    "skill", _("This pool needs an accuracy of at least %(percent)d%%.", percent=pool.min_skill_percent)
                )
            )
    return result


def _certification_reasons(certification: Certification, facts: _Facts, now: datetime) -> list[Reason]:
    latest = facts.latest.get(certification.id)
    status = latest.status(now) if latest is not None else None
    if status == "valid":
        return []
    course_slug = _course_slug(certification)
    if status == "revoked":
        return [
            Reason(
                "certification_revoked",
                _("Your %(name)s was revoked: %(reason)s", name=certification.name, reason=latest.revocation_reason),
                # The reason is for the holder and admins only.
                public_message=_("The %(name)s was revoked.", name=certification.name),
            )
        ]
    if status == "expired":
        return [
            Reason(
                "certification_expired",
                _("Your %(name)s expired. Pass the exam again to renew it.", name=certification.name),
                course_slug,
            )
        ]
    detail = ""
    if course_slug in facts.modules:
        done, total = facts.modules[course_slug]
        detail = " " + _("You have completed %(done)d of %(total)d modules.", done=done, total=total)
    return [Reason("certification_missing", _("Earn the %(name)s.", name=certification.name) + detail, course_slug)]


# Many workers ----------------------------------------------------------------------------------


def eligible_users_filter(pool: Pool, now: datetime | None = None):
    """The rule as a condition on `User`: true for exactly the users `check` finds eligible."""
    now = now or utcnow()
    if pool.status != "open":
        return false()
    conditions = [User.is_active.is_(True)]
    conditions += [_holds_valid_certificate(slug, now) for slug in pool.required_certifications]
    if pool.countries:
        conditions.append(User.country.in_(pool.countries))
    conditions.append(
        ~exists().where(
            Suspension.worker_id == User.id,
            Suspension.pool_id == pool.id,
            Suspension.lifted_at.is_(None),
            Suspension.ends_at > now,
        )
    )
    # With no minimum of either kind, a worker without gold answers passes too.
    if pool.min_skill_percent is not None and (pool.min_skill_percent > 0 or pool.quality_min_gold > 0):
        skilled = select(SkillSnapshot.worker_id).where(
            SkillSnapshot.pool_id == pool.id,
            SkillSnapshot.answered >= pool.quality_min_gold,
            SkillSnapshot.correct * 100 >= pool.min_skill_percent * SkillSnapshot.answered,
        )
        conditions.append(User.id.in_(skilled))
    return and_(*conditions)


def eligible_users(pool: Pool, now: datetime | None = None):
    """Every user who may work in `pool` now, by id: a query to page through."""
    return select(User).where(eligible_users_filter(pool, now)).order_by(User.id)


def _holds_valid_certificate(slug: str, now: datetime):
    """The user's latest certificate of the certification `slug` is neither revoked nor expired.
    A slug that names no certification matches nobody, as `check` finds."""
    held, newer = aliased(Certificate), aliased(Certificate)
    return exists().where(
        held.user_id == User.id,
        held.certification_id == select(Certification.id).where(Certification.slug == slug).scalar_subquery(),
        held.revoked_at.is_(None),
        or_(held.expires_at.is_(None), held.expires_at > now),
        ~exists().where(
            newer.user_id == held.user_id,
            newer.certification_id == held.certification_id,
            newer.cycle > held.cycle,
        ),
    )
