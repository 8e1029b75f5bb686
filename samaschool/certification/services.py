"""Certifications: earned automatically the moment their criteria become true, exactly once
per learner and validity cycle; expiring, renewable and revocable."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError

from samaschool import audit
from samaschool.assessments.models import Attempt, Quiz
from samaschool.auth.models import User
from samaschool.catalog.models import Course, Enrolment
from samaschool.certification.credentials import issue_credential
from samaschool.certification.models import Certificate, Certification
from samaschool.content.certification_files import check_badge_png, check_badge_svg
from samaschool.content.checks import SLUG_RE
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.learning.services import courses_progress_for

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 13  # 65 random bits
RENEWAL_WINDOW = timedelta(days=60)  # learners are told, and may re-certify, this long before expiry


class AlreadyRevoked(DomainError):
    pass


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def normalise_code(text: str) -> str:
    """What a person typed or read aloud, as stored: case, dashes, spaces and look-alikes forgiven."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable")


def live_certifications():
    return select(Certification).where(Certification.archived_at.is_(None))


_BY_CODE = select(Certificate).where(Certificate.code == bindparam("code"))  # built once: every verification


def get_by_code(code: str) -> Certificate | None:
    return db.session.scalar(_BY_CODE, {"code": normalise_code(code)})


def get_by_credential_id(credential_id: str) -> Certificate | None:
    """The certificate whose credential has this id (a signed credential's `jti`).

    Credentials signed before ids were opaque are named `{address}/credentials/{code}`: the
    certificate keeps the one it was last signed with, and an older one (signed again after the
    address changed) is still found by the code it ends in."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.credential_id == credential_id))
    if certificate is None and "/credentials/" in credential_id:
        certificate = get_by_code(credential_id.rsplit("/credentials/", 1)[1])
    return certificate


_CERTIFICATES_FOR = (  # built once: the dashboard and other pages with certificate notices run it
    select(Certificate).where(Certificate.user_id == bindparam("user_id")).order_by(Certificate.issued_at.desc())
)


def certificates_for(user_id: int) -> list[Certificate]:
    return list(db.session.scalars(_CERTIFICATES_FOR, {"user_id": user_id}))


def latest_certificate(user_id: int, certification_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.user_id == user_id, Certificate.certification_id == certification_id)
        .order_by(Certificate.cycle.desc())
        .limit(1)
    )


@dataclass
class CriterionStatus:
    label: str
    met: bool
    detail: str
    course_slug: str


def criteria_status(user_id: int, certification: Certification, *, since: datetime | None = None):
    """Each criterion with whether it is met. Quiz passes count only after `since` (re-certification)."""
    return criteria_statuses(user_id, [certification], since=since)[certification.id]


def criteria_statuses(
    user_id: int, certifications: list[Certification], *, since: datetime | None = None
) -> dict[int, list[CriterionStatus]]:
    """`criteria_status` for many certifications (certification id -> statuses), in a fixed
    number of queries however many certifications, courses and quizzes there are."""
    course_rules = {c.id: c.criteria.get("courses", []) for c in certifications}
    quiz_rules = {c.id: c.criteria.get("quizzes", []) for c in certifications}
    slugs = {slug for rules in course_rules.values() for slug in rules}
    slugs |= {rule["course"] for rules in quiz_rules.values() for rule in rules}
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(slugs)))} if slugs else {}
    progress = courses_progress_for(
        user_id, {courses[slug].id for rules in course_rules.values() for slug in rules if slug in courses}
    )
    wanted = {
        (courses[rule["course"]].id, rule["quiz"])
        for rules in quiz_rules.values()
        for rule in rules
        if rule["course"] in courses
    }
    quizzes = {}
    if wanted:
        for quiz in db.session.scalars(
            select(Quiz).where(Quiz.course_id.in_({cid for cid, _key in wanted}), Quiz.key.in_({k for _c, k in wanted}))
        ):
            quizzes[(quiz.course_id, quiz.key)] = quiz
    best: dict[int, float] = {}
    best_passed: dict[int, float] = {}  # only passed attempts count: a section below its minimum fails
    if quizzes:
        query = (
            select(
                Attempt.quiz_id,
                func.max(Attempt.score_percent),
                func.max(case((Attempt.passed.is_(True), Attempt.score_percent))),
            )
            .where(
                Attempt.user_id == user_id,
                Attempt.quiz_id.in_([q.id for q in quizzes.values()]),
                Attempt.state == "submitted",
            )
            .group_by(Attempt.quiz_id)
        )
        if since is not None:
            query = query.where(Attempt.submitted_at > since)
        for quiz_id, score, passed_score in db.session.execute(query).all():
            best[quiz_id] = score
            if passed_score is not None:
                best_passed[quiz_id] = passed_score
    result = {}
    for certification in certifications:
        statuses = []
        for slug in course_rules[certification.id]:
            course = courses.get(slug)
            done = progress.get(course.id) if course else None
            statuses.append(
                CriterionStatus(
                    label=_("Complete the course %(title)s", title=course.title if course else slug),
                    met=bool(done and done.complete),
                    detail=_("%(done)d of %(total)d done", done=done.done, total=done.total) if done else "",
                    course_slug=slug,
                )
            )
        for rule in quiz_rules[certification.id]:
            course = courses.get(rule["course"])
            quiz = quizzes.get((course.id, rule["quiz"])) if course else None
            score = best.get(quiz.id) if quiz is not None else None
            passed_score = best_passed.get(quiz.id) if quiz is not None else None
            statuses.append(
                CriterionStatus(
                    label=_(
                        "Score at least %(percent)d%% in %(quiz)s",
                        percent=rule["min_percent"],
                        quiz=quiz.title if quiz else rule["quiz"],
                    ),
                    met=passed_score is not None and passed_score >= rule["min_percent"],
                    detail=_("best so far: %(score)s%%", score=round(score, 1)) if score is not None else "",
                    course_slug=rule["course"],
                )
            )
        result[certification.id] = statuses
    return result


def _renewal_open(previous: Certificate | None, now: datetime) -> bool:
    if previous is None:
        return True
    if previous.revoked_at is not None:
        return False  # a revoked certification is not re-earned automatically
    return previous.expires_at is not None and previous.expires_at - RENEWAL_WINDOW <= now


def lock_learner(user_id: int) -> None:
    """Serialise award checks per learner. Under READ COMMITTED two requests that each add the
    last missing piece (two lessons finished in two tabs) would each see only their own new row
    and both decide "not yet"; holding the user's row makes the second wait for the first's
    commit, and its queries then see both. (SQLite: BEGIN IMMEDIATE already serialises writers.)"""
    # FOR NO KEY UPDATE: the progress row just inserted holds a KEY SHARE lock on the user (its
    # foreign key); a plain FOR UPDATE would wait for the other request's, and both deadlock.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def try_award(user: User, certification: Certification, now: datetime | None = None) -> Certificate | None:
    """Issue the certificate if its criteria are true now and none is held for this cycle.

    Exactly once: the unique (user, certification, cycle) decides between simultaneous calls;
    the learner's row is locked first so that simultaneous progress is all seen.
    For a new cycle, quiz passes must be newer than the previous certificate.
    """
    lock_learner(user.id)
    now = now or utcnow()
    previous = latest_certificate(user.id, certification.id)
    if not _renewal_open(previous, now):
        return None
    since = previous.issued_at if previous else None
    if not all(status.met for status in criteria_status(user.id, certification, since=since)):
        return None
    start = now
    if previous is not None and previous.expires_at is not None and previous.expires_at > now:
        start = previous.expires_at  # renewing early extends from the old expiry, not from today
    certificate = Certificate(
        user_id=user.id,
        certification_id=certification.id,
        cycle=(previous.cycle + 1) if previous else 1,
        code=new_code(),
        holder_name=user.certificate_name or user.name,
        issued_at=now,
        expires_at=add_months(start, certification.validity_months) if certification.validity_months else None,
    )
    certificate.certification, certificate.user = certification, user
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
            db.session.flush()
    except IntegrityError:
        return None  # another request issued this cycle's certificate a moment ago
    issue_credential(certificate)
    audit.record(None, "certificate.issued", certificate, after={"code": certificate.code, "cycle": certificate.cycle})
    return certificate


def _involved_courses(certification: Certification) -> set[str]:
    return involved_courses(certification.criteria)


def award_earned(user_id: int, course_id: int) -> list[Certificate]:
    """Called on every bit of progress in a course: issue whatever just became earned."""
    course = db.session.get(Course, course_id)
    if course is None:
        return []
    lock_learner(user_id)
    user = db.session.get(User, user_id)
    if user is None:
        return []
    issued = []
    for certification in db.session.scalars(live_certifications().order_by(Certification.id)):
        if course.slug in _involved_courses(certification) and (certificate := try_award(user, certification)):
            issued.append(certificate)
    return issued


def learners_who_may_be_due(active_since: datetime | None = None) -> list[int]:
    """Learners enrolled in a course that some live certification counts (optionally only those
    who finished a lesson or submitted an attempt since `active_since`), for `award_due`."""
    slugs = {
        slug for certification in db.session.scalars(live_certifications()) for slug in _involved_courses(certification)
    }
    if not slugs:
        return []
    query = (
        select(Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Course.slug.in_(slugs))
        .distinct()
        .order_by(Enrolment.user_id)
    )
    if active_since is not None:
        recent_lessons = select(LessonProgress.user_id).where(LessonProgress.completed_at >= active_since)
        recent_attempts = select(Attempt.user_id).where(Attempt.submitted_at >= active_since)
        query = query.where(Enrolment.user_id.in_(recent_lessons.union(recent_attempts)))
    return list(db.session.scalars(query))


def award_due(user_id: int, now: datetime | None = None) -> list[Certificate]:
    """Issue every certificate the learner has earned but does not hold (a safety net behind
    the award on progress: `flask certs award-due`). Idempotent."""
    lock_learner(user_id)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return []
    return [
        certificate
        for certification in db.session.scalars(live_certifications().order_by(Certification.id))
        if (certificate := try_award(user, certification, now))
    ]


def revoke(actor: User, certificate: Certificate, reason: str, now: datetime | None = None) -> None:
    if certificate.revoked_at is not None:
        raise AlreadyRevoked(_("This certificate was already revoked."))
    certificate.revoked_at = now or utcnow()
    certificate.revocation_reason = reason
    certificate.revoked_by_id = actor.id
    audit.record(
        actor,
        "certificate.revoked",
        certificate,
        before={"status": "valid"},
        after={"status": "revoked"},
        reason=reason,
    )


def reissue_credential(actor: User | None, certificate: Certificate) -> None:
    """Sign the credential again with the current key (after a key rotation)."""
    before = {"key_id": certificate.key_id}
    issue_credential(certificate)
    audit.record(actor, "certificate.reissued", certificate, before=before, after={"key_id": certificate.key_id})


def expiry_notices(user_id: int, now: datetime | None = None, *, certificates: list[Certificate] | None = None):
    """The learner's latest certificates that expired or expire within the renewal window."""
    now = now or utcnow()
    latest: dict[int, Certificate] = {}
    for certificate in certificates if certificates is not None else certificates_for(user_id):
        latest.setdefault(certificate.certification_id, certificate)
    return [
        c
        for c in latest.values()
        if c.revoked_at is None and c.expires_at is not None and c.expires_at - RENEWAL_WINDOW <= now
    ]


def on_progress(_sender, *, user_id: int, course_id: int) -> None:
    award_earned(user_id, course_id)


@dataclass
class CertificationData:
    """A certification as a form or a file gives it. The badge is `badge_svg` or `badge_png`
    (the other empty): exactly what the certification's badge becomes."""

    slug: str
    name: str
    description: str
    validity_months: int | None
    badge_svg: str
    criteria: dict
    badge_png: bytes | None = None


def involved_courses(criteria: dict) -> set[str]:
    """The slugs of every course a certification's criteria name (to complete, or for a quiz)."""
    return set(criteria.get("courses") or []) | {rule["course"] for rule in criteria.get("quizzes") or []}


def certification_problems(data: CertificationData, certification: Certification | None) -> dict[str, list[str]]:
    """What is wrong with `data` for `certification` (None: a new one), by field: "slug",
    "criteria" and "badge". The rules every way of defining a certification shares (the admin
    form, the studio); each form adds the checks of its own fields."""
    problems: dict[str, list[str]] = {}
    if not SLUG_RE.match(data.slug or ""):
        problems.setdefault("slug", []).append(_("Use lower-case letters, digits and hyphens, starting with a letter."))
    clash = db.session.scalar(select(Certification).where(Certification.slug == data.slug))
    if clash is not None and clash is not certification:
        problems.setdefault("slug", []).append(_("Another certification already uses this short name."))
    if not involved_courses(data.criteria):
        problems.setdefault("criteria", []).append(_("Choose at least one course or a quiz."))
    if data.badge_svg and (problem := check_badge_svg(data.badge_svg)):
        problems.setdefault("badge", []).append(problem)
    if data.badge_png is not None and (problem := check_badge_png(data.badge_png)):
        problems.setdefault("badge", []).append(problem)
    return problems


def save_certification(actor: User, certification: Certification | None, data: CertificationData) -> Certification:
    """Create or update a certification made by an admin or a trainer (audited with before and
    after). A new one is not the courses folder's: the next folder import leaves it alone."""
    before = {"criteria": certification.criteria, "name": certification.name} if certification else None
    if certification is None:
        certification = Certification(slug=data.slug, source="admin")
        db.session.add(certification)
    certification.slug, certification.name, certification.description = data.slug, data.name, data.description
    certification.validity_months, certification.badge_svg = data.validity_months, data.badge_svg
    certification.badge_png = data.badge_png
    certification.criteria = data.criteria
    db.session.flush()
    audit.record(
        actor,
        "certification.saved",
        certification,
        before=before,
        after={"criteria": certification.criteria, "name": certification.name},
    )
    return certification
