"""Who may do what: every route, method and role, against a table written down below.

The table is the contract. A route that is added without a row here fails this test, so every
new page or action has to say, for each kind of caller, what should happen:

    A  allowed (the page or the action's own answer: 2xx, a redirect elsewhere, 400/422 for
       the empty form this test sends)
    L  sent to log in (a redirect to /account/login)
    F  forbidden (403)
    N  not found (404: another learner's things do not even exist for you)
    U  unauthorised (401: the API without a valid token)
    -  the method is not offered on this route (405)

Callers: anon (no session), owner (the learner who owns the certificate, attempt, task,
earnings… in the URL), other (another learner), trainer (a trainer of another course), coach
(a trainer who co-trains the course in the URL), manager (a learner with the pool manager
permission), admin, and token (no session, an API bearer token).
Object URLs always name the owner's things, so "other" shows what a stranger gets by changing
an id. Every request is made by a fresh, freshly signed-in client, so no answer depends on
what an earlier request changed for that caller.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from samaschool.assessments import services as assessments
from samaschool.assessments.models import Quiz
from samaschool.auth.models import PayoutAccountChange, User
from samaschool.catalog import services as catalog
from samaschool.catalog.models import Course
from samaschool.certification.models import Certificate
from samaschool.db_types import utcnow
from samaschool.extensions import db, limiter
from samaschool.media import services as media
from samaschool.permissions import Role
from samaschool.pools import api_tokens, money, work
from samaschool.pools.models import Pool, Suspension
from tests import media_samples
from tests.factories import PASSWORD
from tests.studio.helpers import studio_course

ROLES = ("anon", "owner", "other", "trainer", "coach", "manager", "admin", "token")

# rule                                                   method  anon owner other trainer coach manager admin token
MATRIX = """
/                                                        GET     A    A     A     A       A     A       A     A
/.well-known/jwks.json                                   GET     A    A     A     A       A     A       A     A
/account/login                                           GET     A    A     A     A       A     A       A     A
/account/login                                           POST    A    A     A     A       A     A       A     A
/account/logout                                          POST    A    A     A     A       A     A       A     A
/account/password                                        GET     L    A     A     A       A     A       A     L
/account/password                                        POST    L    A     A     A       A     A       A     L
/account/payout-account                                  POST    L    A     A     A       A     A       A     L
/account/payout-account/confirm/<token>                  GET     A    A     A     A       A     A       A     A
/account/payout-account/confirm/<token>                  POST    A    A     A     A       A     A       A     A
/account/profile                                         GET     L    A     A     A       A     A       A     L
/account/profile                                         POST    L    A     A     A       A     A       A     L
/account/reset                                           GET     A    A     A     A       A     A       A     A
/account/reset                                           POST    A    A     A     A       A     A       A     A
/account/reset-links/new                                 GET     L    F     F     A       A     F       A     L
/account/reset-links/new                                 POST    L    F     F     A       A     F       A     L
/account/reset/<token>                                   GET     A    A     A     A       A     A       A     A
/account/reset/<token>                                   POST    A    A     A     A       A     A       A     A
/account/sessions                                        GET     L    A     A     A       A     A       A     L
/account/sessions                                        POST    L    A     A     A       A     A       A     L
/account/signup                                          GET     A    A     A     A       A     A       A     A
/account/signup                                          POST    A    A     A     A       A     A       A     A
/admin/audit                                             GET     L    F     F     F       F     F       A     L
/admin/jobs                                              GET     L    F     F     F       F     F       A     L
/admin/certificates                                      GET     L    F     F     F       F     F       A     L
/admin/certificates/<int:certificate_id>/reissue         POST    L    F     F     F       F     F       A     L
/admin/certificates/<int:certificate_id>/revoke          POST    L    F     F     F       F     F       A     L
/admin/certifications                                    GET     L    F     F     F       F     F       A     L
/admin/certifications/<int:certification_id>/edit        GET     L    F     F     F       F     F       A     L
/admin/certifications/<int:certification_id>/edit        POST    L    F     F     F       F     F       A     L
/admin/certifications/new                                GET     L    F     F     F       F     F       A     L
/admin/certifications/new                                POST    L    F     F     F       F     F       A     L
/admin/payout-account-changes                            GET     L    F     F     F       F     F       A     L
/admin/payout-account-changes/<int:change_id>            POST    L    F     F     F       F     F       A     L
/admin/users                                             GET     L    F     F     F       F     F       A     L
/admin/users/<int:user_id>                               GET     L    F     F     F       F     F       A     L
/admin/users/<int:user_id>/active                        POST    L    F     F     F       F     F       A     L
/admin/users/<int:user_id>/pool-manager                  POST    L    F     F     F       F     F       A     L
/admin/users/<int:user_id>/role                          POST    L    F     F     F       F     F       A     L
/api/v1/openapi.json                                     GET     A    A     A     A       A     A       A     A
/api/v1/pools/<slug>/eligibility/<user_id>               GET     U    U     U     U       U     U       U     A
/api/v1/pools/<slug>/eligible-workers                    GET     U    U     U     U       U     U       U     A
/api/v1/users/<user_id>/certificates                     GET     U    U     U     U       U     U       U     A
/attempts/<int:attempt_id>                               GET     L    A     N     N       N     N       N     L
/attempts/<int:attempt_id>                               POST    L    A     N     N       N     N       N     L
/attempts/<int:attempt_id>/review                        GET     L    A     N     N       N     N       N     L
/attempts/<int:attempt_id>/submit                        GET     L    A     N     N       N     N       N     L
/attempts/<int:attempt_id>/submit                        POST    L    A     N     N       N     N       N     L
/certificates                                            GET     L    A     A     A       A     A       A     L
/certificates/<code>                                     GET     L    A     N     N       N     N       A     L
/certificates/<code>/badge.png                           GET     L    N     N     N       N     N       N     L
/certificates/<code>/badge.svg                           GET     L    A     N     N       N     N       A     L
/certificates/<code>/certificate.pdf                     GET     L    A     N     N       N     N       A     L
/certificates/<code>/credential.jwt                      GET     L    A     N     N       N     N       A     L
/certifications/<slug>                                   GET     A    A     A     A       A     A       A     A
/certifications/<slug>/badge.png                         GET     A    A     A     A       A     A       A     A
/certifications/<slug>/badge.svg                         GET     A    A     A     A       A     A       A     A
/courses/                                                GET     A    A     A     A       A     A       A     A
/courses/<slug>                                          GET     A    A     A     A       A     A       A     A
/courses/<slug>/enrol                                    POST    L    A     A     A       A     A       A     L
/courses/<slug>/lessons/<lesson_slug>                    GET     L    A     A     A       A     A       A     L
/courses/<slug>/lessons/<lesson_slug>/complete           POST    L    A     A     A       A     A       A     L
/courses/<slug>/quizzes/<key>                            GET     L    A     A     A       A     A       A     L
/courses/<slug>/quizzes/<key>/start                      POST    L    A     A     A       A     A       A     L
/courses/<slug>/quizzes/<key>/statistics                 GET     L    F     F     F       A     F       A     L
/credentials/<code>                                      GET     A    A     A     A       A     A       A     A
/credentials/revocations                                 GET     A    A     A     A       A     A       A     A
/dashboard                                               GET     L    A     A     A       A     A       A     L
/earnings                                                GET     L    A     A     A       A     A       A     L
/healthz                                                 GET     A    A     A     A       A     A       A     A
/readyz                                                  GET     A    A     A     A       A     A       A     A
/issuer                                                  GET     A    A     A     A       A     A       A     A
/manage/api-tokens                                       GET     L    F     F     F       F     F       A     L
/manage/api-tokens                                       POST    L    F     F     F       F     F       A     L
/manage/api-tokens/<int:token_id>                        GET     L    F     F     F       F     F       A     L
/manage/api-tokens/<int:token_id>                        POST    L    F     F     F       F     F       A     L
/manage/api-tokens/<int:token_id>/revoke                 POST    L    F     F     F       F     F       A     L
/manage/bonuses                                          POST    L    F     F     F       F     F       A     L
/manage/payout-lines/<int:line_id>                       POST    L    F     F     F       F     F       A     L
/manage/payouts                                          GET     L    F     F     F       F     F       A     L
/manage/payouts                                          POST    L    F     F     F       F     F       A     L
/manage/payouts/<int:batch_id>                           GET     L    F     F     F       F     F       A     L
/manage/payouts/<int:batch_id>.csv                       GET     L    F     F     F       F     F       A     L
/manage/pools                                            GET     L    F     F     F       F     A       A     L
/manage/pools/<int:pool_id>/edit                         GET     L    F     F     F       F     A       A     L
/manage/pools/<int:pool_id>/edit                         POST    L    F     F     F       F     A       A     L
/manage/pools/<int:pool_id>/tasks                        GET     L    F     F     F       F     A       A     L
/manage/pools/<int:pool_id>/tasks                        POST    L    F     F     F       F     A       A     L
/manage/pools/new                                        GET     L    F     F     F       F     A       A     L
/manage/pools/new                                        POST    L    F     F     F       F     A       A     L
/manage/review                                           GET     L    F     F     F       F     A       A     L
/manage/review                                           POST    L    F     F     F       F     A       A     L
/manage/suspensions/<int:suspension_id>/lift             POST    L    F     F     F       F     A       A     L
/media/<key>/<variant>.<ext>                             GET     A    A     A     A       A     A       A     A
/pools                                                   GET     L    A     A     A       A     A       A     L
/pools/<slug>                                            GET     L    A     A     A       A     A       A     L
/pools/<slug>/claim                                      POST    L    A     A     A       A     A       A     L
/reports/                                                GET     L    F     F     A       A     F       A     L
/reports/<name>                                          GET     L    F     F     A       A     F       A     L
/reports/<name>/<table>.csv                              GET     L    F     F     A       A     F       A     L
/static/<path:filename>                                  GET     A    A     A     A       A     A       A     A
/studio/                                                 GET     L    F     F     A       A     F       A     L
/studio/<slug>/                                          GET     L    F     F     F       A     F       A     L
/studio/<slug>/certifications                            GET     L    F     F     F       A     F       A     L
/studio/<slug>/certifications/<cert_slug>                GET     L    F     F     F       A     F       A     L
/studio/<slug>/certifications/<cert_slug>                POST    L    F     F     F       A     F       A     L
/studio/<slug>/certifications/new                        GET     L    F     F     F       A     F       A     L
/studio/<slug>/certifications/new                        POST    L    F     F     F       A     F       A     L
/studio/<slug>/details                                   GET     L    F     F     F       A     F       A     L
/studio/<slug>/details                                   POST    L    F     F     F       A     F       A     L
/studio/<slug>/export                                    GET     L    F     F     F       A     F       A     L
/studio/<slug>/export.zip                                GET     L    F     F     F       A     F       A     L
/studio/<slug>/learners                                  GET     L    F     F     F       A     F       A     L
/studio/<slug>/learners.csv                              GET     L    F     F     F       A     F       A     L
/studio/<slug>/lessons/<lesson_slug>                     GET     L    F     F     F       A     F       A     L
/studio/<slug>/lessons/<lesson_slug>                     POST    L    F     F     F       A     F       A     L
/studio/<slug>/lessons/<lesson_slug>/archive             POST    L    F     F     F       A     F       A     L
/studio/<slug>/lessons/<lesson_slug>/move                POST    L    F     F     F       A     F       A     L
/studio/<slug>/modules                                   POST    L    F     F     F       A     F       A     L
/studio/<slug>/modules/<module_slug>/archive             POST    L    F     F     F       A     F       A     L
/studio/<slug>/modules/<module_slug>/edit                GET     L    F     F     F       A     F       A     L
/studio/<slug>/modules/<module_slug>/edit                POST    L    F     F     F       A     F       A     L
/studio/<slug>/modules/<module_slug>/lessons             POST    L    F     F     F       A     F       A     L
/studio/<slug>/modules/<module_slug>/move                POST    L    F     F     F       A     F       A     L
/studio/<slug>/preview                                   GET     L    F     F     F       A     F       A     L
/studio/<slug>/preview/<lesson_slug>                     GET     L    F     F     F       A     F       A     L
/studio/<slug>/publish                                   POST    L    F     F     F       A     F       A     L
/studio/<slug>/questions                                 GET     L    F     F     F       A     F       A     L
/studio/<slug>/questions.gift                            GET     L    F     F     F       A     F       A     L
/studio/<slug>/questions/<key>                           GET     L    F     F     F       A     F       A     L
/studio/<slug>/questions/<key>                           POST    L    F     F     F       A     F       A     L
/studio/<slug>/questions/<key>/preview                   GET     L    F     F     F       A     F       A     L
/studio/<slug>/questions/<key>/remove                    POST    L    F     F     F       A     F       A     L
/studio/<slug>/questions/import                          POST    L    F     F     F       A     F       A     L
/studio/<slug>/questions/new                             GET     L    F     F     F       A     F       A     L
/studio/<slug>/questions/new                             POST    L    F     F     F       A     F       A     L
/studio/<slug>/quizzes                                   GET     L    F     F     F       A     F       A     L
/studio/<slug>/quizzes/<key>                             GET     L    F     F     F       A     F       A     L
/studio/<slug>/quizzes/<key>                             POST    L    F     F     F       A     F       A     L
/studio/<slug>/staff                                     GET     L    F     F     F       A     F       A     L
/studio/<slug>/staff                                     POST    L    F     F     F       F     F       A     L
/studio/<slug>/staff/<int:user_id>/remove                POST    L    F     F     F       F     F       A     L
/studio/import                                           GET     L    F     F     A       A     F       A     L
/studio/import                                           POST    L    F     F     A       A     F       A     L
/studio/new                                              GET     L    F     F     A       A     F       A     L
/studio/new                                              POST    L    F     F     A       A     F       A     L
/verify                                                  GET     A    A     A     A       A     A       A     A
/verify                                                  POST    A    A     A     A       A     A       A     A
/verify.json                                             POST    A    A     A     A       A     A       A     A
/verify/<code>                                           GET     A    A     A     A       A     A       A     A
/work/<int:assignment_id>                                GET     L    A     N     N       N     N       N     L
/work/<int:assignment_id>                                POST    L    A     N     N       N     N       N     L
"""


def _parse(table: str) -> dict[tuple[str, str], dict[str, str]]:
    expected = {}
    for line in table.strip().splitlines():
        rule, method, *codes = line.split()
        assert len(codes) == len(ROLES), f"row for {rule} {method} has {len(codes)} codes"
        expected[(rule, method)] = dict(zip(ROLES, codes, strict=True))
    return expected


EXPECTED = _parse(MATRIX)


@pytest.fixture
def world(app, make):
    """One of everything, owned by `owner`."""
    users = {
        "owner": make.user(name="Owner Learner"),
        "other": make.user(name="Other Learner"),
        "trainer": make.user(Role.TRAINER),
        "coach": make.user(Role.TRAINER),
        "manager": make.user(),
        "admin": make.user(Role.ADMIN),
    }
    # A course with a studio working copy (module "basics", lessons first-lesson…, quizzes
    # "basics" and "exam", questions q-one…), co-trained by `coach`.
    course = studio_course(app, make, co_trainers=[users["coach"]])
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == "basics"))
        db.session.expunge(quiz)
    certification = make.certification(course, quiz=None)
    certificate = make.certificate(users["owner"], certification)
    pool = make.pool(certification=certification)
    make.tasks(pool, count=3)
    with app.app_context():
        manager = db.session.get(User, users["manager"].id)
        manager.is_pool_manager = True
        owner = db.session.get(User, users["owner"].id)
        admin = db.session.get(User, users["admin"].id)
        catalog.enrol(owner, db.session.get(Course, course.id))
        attempt = assessments.start_attempt(owner, db.session.get(Quiz, quiz.id))
        assignment = work.claim_next_task(owner, db.session.get(Pool, pool.id))
        money.add_bonus(admin, owner, 1000, "KES", "welcome")
        batch = money.create_batch(admin, "KES", 0)
        suspension = Suspension(
            pool_id=pool.id, worker_id=owner.id, ends_at=utcnow() + timedelta(days=3), reason="Accuracy below 70%"
        )
        db.session.add(suspension)
        change = PayoutAccountChange(user_id=owner.id, new_account="+254 700 000009", state="held")
        db.session.add(change)
        token, secret = api_tokens.create(admin, "matrix", [pool.id], ["name", "country"])
        image = media.ingest(media_samples.png(), "matrix.png")
        db.session.flush()
        values = {
            "course": course.slug,
            "lesson_slug": "first-lesson",
            "module_slug": "basics",
            "question": "q-one",
            "name": "certifications",
            "table": "status",
            "key": quiz.key,
            "attempt_id": attempt.id,
            "code": db.session.get(Certificate, certificate.id).code,
            "certificate_id": certificate.id,
            "certification_id": certification.id,
            "certification": certification.slug,
            "cert_slug": certification.slug,
            "pool": pool.slug,
            "pool_id": pool.id,
            "assignment_id": assignment.id,
            "user_id": owner.id,
            "batch_id": batch.id,
            "line_id": batch.lines[0].id,
            "suspension_id": suspension.id,
            "change_id": change.id,
            "token_id": token.id,
            "token": "not-a-real-reset-token",
            "filename": "css/app.css",
            "media_key": image.key,
            "variant": "webp360",
            "ext": "webp",
        }
        db.session.commit()
    return users, values, secret


def _url(rule, values: dict) -> str:
    arguments = {}
    for name in rule.arguments:
        if name == "slug":
            if rule.endpoint.startswith(("pools.", "api.")):
                arguments[name] = values["pool"]
            elif rule.endpoint.startswith("certification."):
                arguments[name] = values["certification"]
            else:
                arguments[name] = values["course"]
        elif name == "key" and rule.endpoint.startswith("media."):
            arguments[name] = values["media_key"]
        elif name == "key" and "question" in rule.endpoint:
            arguments[name] = values["question"]
        else:
            arguments[name] = values[name]
    return rule.build(arguments, append_unknown=False)[1]


def _client(app, users, role: str, secret: str):
    client = app.test_client()
    if role in users:
        response = client.submit("/account/login", {"email": users[role].email, "password": PASSWORD})
        assert response.status_code == 302, f"{role} could not log in"
    if role == "token":
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303) and "/account/login" in response.headers.get("Location", ""):
        return "L"
    return {401: "U", 403: "F", 404: "N", 405: "-"}.get(status, "A" if status < 500 else f"!{status}")


def test_every_route_method_and_role_has_the_written_outcome(app, world):
    users, values, secret = world
    limiter.enabled = False  # hundreds of logins from one address
    try:
        seen, wrong = set(), []
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                seen.add((rule.rule, method))
                expected = EXPECTED.get((rule.rule, method))
                actual = {}
                for role in ROLES:
                    client = _client(app, users, role, secret)
                    url = _url(rule, values)
                    if method == "GET":
                        response = client.get(url)
                    else:
                        # A valid CSRF token for the caller's session, so the answer is the route's own.
                        token = client.csrf_token("/account/password" if role in users else "/account/login")
                        response = client.open(url, method=method, data={"csrf_token": token})
                    actual[role] = _outcome(response)
                row = f"{rule.rule:56} {method:7} " + " ".join(f"{actual[role]:<{max(4, len(role))}}" for role in ROLES)
                if expected != actual:
                    wrong.append(row)
        missing_routes = set(EXPECTED) - seen
    finally:
        limiter.enabled = True
    assert not wrong, "routes whose outcomes differ from the table (actual outcomes):\n" + "\n".join(wrong)
    assert not missing_routes, f"rows for routes that no longer exist: {sorted(missing_routes)}"
