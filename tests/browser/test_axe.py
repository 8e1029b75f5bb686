"""axe-core over every page a visitor, learner, trainer, pool manager and admin can reach, at 320
and 1280 px: no serious or critical finding anywhere.

The list of pages is checked against the URL map, so a new page fails this test until it is
added here (with the data it needs to show real content) or named as not being a page."""

from __future__ import annotations

from dataclasses import dataclass

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from samaschool.assessments import services as assessments
from samaschool.assessments.models import Quiz
from samaschool.auth import payout_accounts
from samaschool.auth import services as auth_services
from samaschool.auth.models import User
from samaschool.catalog import services as catalog
from samaschool.catalog.models import Course, Lesson
from samaschool.certification.services import format_code
from samaschool.content.markdown import render_markdown
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools import api_tokens, money, review, work
from samaschool.pools.models import Pool
from tests.browser.conftest import follow, log_in
from tests.factories import PASSWORD
from tests.studio.helpers import studio_course

WIDTHS = (320, 1280)
BLOCKING = ("serious", "critical")
# Lesser findings fixed once and kept fixed: the catalog went from h1 to h3.
ALSO_BLOCKING = ("heading-order",)

# Endpoints that answer GET with something other than an HTML page, or only redirect.
NOT_PAGES = {
    "static": "files",
    "main.healthz": "JSON",
    "main.readyz": "JSON",
    "certification.jwks": "JSON",
    "certification.issuer": "JSON",
    "certification.revocations": "JSON",
    "certification.credential": "the verify_code page under a credential's id",
    "certification.pdf": "a download",
    "certification.credential_jwt": "a download",
    "certification.baked_badge": "a download",
    "certification.badge": "an SVG image",
    "certification.baked_badge_png": "a download",
    "certification.badge_png": "a PNG image",
    "pool_admin.batch_csv": "a download",
    "studio.learners_csv": "a download",
    "studio.export": "a download",
    "studio.export_gift": "a download",
    "reports.table_csv": "a download",
    "media.file": "images and sound",
}

LESSON_BODY = """Read the table, then the quote.

| Label | Example |
|---|---|
| Electronics > Mobile phones | Tecno Spark 20 |
| Grocery > Beverages | Ketepa tea 100 bags |

> A label describes what the item **is**, not what it is for.

    code sample
"""


def _questions(prefix: str, types: list[str]) -> list[dict]:
    specs = {
        "single_choice": {
            "text": "Which label fits?\n\n> Tecno Spark 20, 128 GB",
            "choices": [{"text": "Mobile phones", "correct": True}, {"text": "Beverages"}],
        },
        "multiple_response": {
            "text": "Which are scam signs?",
            "choices": [{"text": "A fee first", "correct": True}, {"text": "A stated rate"}],
        },
        "true_false": {"text": "Public Wi-Fi is safe for mobile money.", "answer": False},
        "short_answer": {"text": "What three letters end a PDF file's name?", "answers": ["pdf"]},
        "numeric": {"text": "USD 50 less a 10% fee is how many dollars?", "answer": 45},
        "ordering": {"text": "Order a proposal.", "items": ["Greet", "Show you understood", "Give a price"]},
        "matching": {
            "text": "Match each term.",
            "pairs": [{"left": "Gold task", "right": "Known answer"}, {"left": "Label", "right": "Your answer"}],
        },
        "transcription": {
            "text": "Transcribe: > the delivery is on Tuesday",
            "reference": "The delivery is on Tuesday.",
        },
    }
    return [{"id": f"{prefix}-{kind}", "type": kind, **specs[kind]} for kind in types]


@dataclass
class Site:
    course: str
    lesson: str
    module_quiz: str
    open_attempt: int
    failed_attempt: int
    exam_attempt: int
    certificate: str
    certification_slug: str
    certification_id: int
    pool_slug: str
    pool_id: int
    claimed: int
    batch: int
    learner_id: int
    reset_token: str
    api_token: int
    payout_confirmation: str


def build_site(app, make, learner, manager, admin) -> Site:
    held = make.user(name="Zawadi Juma")
    course = make.course(title="Data Annotation Essentials", modules=2, lessons_per_module=2)
    quiz_1 = make.quiz(
        course,
        module=1,
        title="Module 1 quiz",
        questions_per_page=2,
        review_policy="correctness",
        questions=_questions("m1", ["single_choice", "multiple_response", "true_false", "short_answer"]),
    )
    quiz_2 = make.quiz(
        course,
        module=2,
        title="Module 2 quiz",
        questions_per_page=2,
        questions=_questions("m2", ["numeric", "ordering", "matching", "transcription"]),
    )
    exam = make.quiz(
        course, module=None, key="exam", title="Certification exam", questions=_questions("ex", ["single_choice"])
    )
    certification = make.certification(course, quiz=exam)
    certificate = make.certificate(learner, certification)
    pool = make.pool(certification=certification, name="Product classification")
    make.tasks(pool, 4, gold_every=4)
    with app.app_context():
        db.session.get(User, manager.id).is_pool_manager = True
        lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id))
        lesson.body_markdown, lesson.body_html = LESSON_BODY, render_markdown(LESSON_BODY)
        db.session.commit()

        person = db.session.get(User, learner.id)
        catalog.enrol(person, db.session.get(Course, course.id))
        # Module 1: submitted without answers (failed); module 2: open, on its second page.
        failed = assessments.start_attempt(person, db.session.get(Quiz, quiz_1.id))
        db.session.flush()
        assessments.submit_attempt(failed)
        open_attempt = assessments.start_attempt(person, db.session.get(Quiz, quiz_2.id))
        db.session.flush()
        open_attempt.last_page = 2
        # The exam: passed.
        passed = assessments.start_attempt(person, db.session.get(Quiz, exam.id))
        db.session.flush()
        right = {
            f"q{aq.id}": next(c["id"] for c in aq.question.data["choices"] if c.get("correct"))
            for aq in passed.questions
        }
        assert not assessments.save_page(passed, MultiDict(right), 1)
        assessments.submit_attempt(passed)
        assert passed.passed

        # Paid work: one task approved and in a payout batch (no payout account given), one claimed.
        the_pool = db.session.get(Pool, pool.id)
        done = work.claim_next_task(person, the_pool)
        assert work.submit_answer(person, done, MultiDict({"answer": "Electronics > Mobile phones"}))
        review.approve(db.session.get(User, manager.id), done)
        batch = money.create_batch(db.session.get(User, admin.id), "KES", 1)
        claimed = work.claim_next_task(person, the_pool)
        token, _secret = api_tokens.create(db.session.get(User, admin.id), "Partner platform")
        reset_token = auth_services.create_reset_token(person)
        # A payout account change held after a reset through a link an admin made.
        link = auth_services.create_reset_link_for(db.session.get(User, admin.id), db.session.get(User, held.id))
        auth_services.reset_password(link, "a brand new passphrase here")
        change = payout_accounts.change_payout_account(
            db.session.get(User, held.id), "a brand new passphrase here", "+254 700 000002"
        )
        assert change.state == "held"
        db.session.commit()
        return Site(
            course=course.slug,
            lesson=lesson.slug,
            module_quiz=quiz_1.key,
            open_attempt=open_attempt.id,
            failed_attempt=failed.id,
            exam_attempt=passed.id,
            certificate=format_code(certificate.code),
            certification_slug=certification.slug,
            certification_id=certification.id,
            pool_slug=pool.slug,
            pool_id=pool.id,
            claimed=claimed.id,
            batch=batch.id,
            learner_id=learner.id,
            reset_token=reset_token,
            api_token=token.id,
            payout_confirmation=payout_accounts.confirmation_token(change),
        )


def pages(site: Site) -> list[tuple[str, str, str]]:
    """(who, endpoint, path): every page, seen by the one who has most on it."""
    course = f"/courses/{site.course}"
    return [
        ("visitor", "main.home", "/"),
        ("visitor", "catalog.index", "/courses/"),
        ("visitor", "catalog.course", course),
        ("visitor", "auth.login", "/account/login"),
        ("visitor", "auth.signup", "/account/signup"),
        ("visitor", "auth.reset_request", "/account/reset"),
        ("visitor", "auth.reset_password", f"/account/reset/{site.reset_token}"),
        ("visitor", "certification.verify", "/verify"),
        ("visitor", "certification.verify_code", f"/verify/{site.certificate}"),
        ("visitor", "certification.certification", f"/certifications/{site.certification_slug}"),
        ("visitor", "auth.confirm_payout_account", f"/account/payout-account/confirm/{site.payout_confirmation}"),
        ("visitor", "(not found)", "/no-such-page"),
        ("learner", "learning.dashboard", "/dashboard"),
        ("learner", "catalog.course", course),
        ("learner", "learning.lesson", f"{course}/lessons/{site.lesson}"),
        ("learner", "assessments.quiz", f"{course}/quizzes/{site.module_quiz}"),
        ("learner", "assessments.attempt", f"/attempts/{site.open_attempt}?page=2"),
        ("learner", "assessments.confirm", f"/attempts/{site.open_attempt}/submit"),
        ("learner", "assessments.review", f"/attempts/{site.failed_attempt}/review"),
        ("learner", "assessments.review", f"/attempts/{site.exam_attempt}/review"),
        ("learner", "certification.mine", "/certificates"),
        ("learner", "certification.certificate", f"/certificates/{site.certificate}"),
        ("learner", "pools.index", "/pools"),
        ("learner", "pools.pool", f"/pools/{site.pool_slug}"),
        ("learner", "pools.task", f"/work/{site.claimed}"),
        ("learner", "pools.earnings", "/earnings"),
        ("learner", "auth.profile", "/account/profile"),
        ("learner", "auth.change_password", "/account/password"),
        ("learner", "auth.sessions", "/account/sessions"),
        ("learner", "auth.sessions", "/account/sessions"),
        ("trainer", "assessments.statistics", f"{course}/quizzes/{site.module_quiz}/statistics"),
        ("trainer", "studio.staff", f"/studio/{site.course}/staff"),
        ("trainer", "studio.learners", f"/studio/{site.course}/learners"),
        ("trainer", "studio.certifications", f"/studio/{site.course}/certifications"),
        ("trainer", "studio.edit_certification", f"/studio/{site.course}/certifications/new"),
        ("trainer", "studio.edit_certification", f"/studio/{site.course}/certifications/{site.certification_slug}"),
        ("trainer", "auth.make_reset_link", "/account/reset-links/new"),
        ("manager", "pool_admin.pools", "/manage/pools"),
        ("manager", "pool_admin.edit_pool", "/manage/pools/new"),
        ("manager", "pool_admin.edit_pool", f"/manage/pools/{site.pool_id}/edit"),
        ("manager", "pool_admin.tasks_page", f"/manage/pools/{site.pool_id}/tasks"),
        ("manager", "pool_admin.review_queue", "/manage/review?status=approved"),
        ("admin", "admin.users", "/admin/users"),
        ("admin", "admin.user", f"/admin/users/{site.learner_id}"),
        ("admin", "admin.audit_log", "/admin/audit"),
        ("admin", "admin.job_queue", "/admin/jobs"),
        ("admin", "certification_admin.certificates", "/admin/certificates"),
        ("admin", "certification_admin.certifications", "/admin/certifications"),
        ("admin", "certification_admin.edit_certification", "/admin/certifications/new"),
        ("admin", "certification_admin.edit_certification", f"/admin/certifications/{site.certification_id}/edit"),
        ("admin", "pool_admin.payouts", "/manage/payouts"),
        ("admin", "pool_admin.batch", f"/manage/payouts/{site.batch}"),
        ("admin", "pool_admin.tokens", "/manage/api-tokens"),
        ("admin", "pool_admin.token_scope", f"/manage/api-tokens/{site.api_token}"),
        ("admin", "admin.payout_account_changes", "/admin/payout-account-changes"),
    ]


def studio_pages(slug: str) -> list[tuple[str, str, str]]:
    """The studio's pages for a course with a working copy (tests/studio/helpers.py)."""
    studio = f"/studio/{slug}"
    return [
        ("trainer", "studio.index", "/studio/"),
        ("trainer", "studio.new_course", "/studio/new"),
        ("trainer", "studio.import_course", "/studio/import"),
        ("trainer", "studio.course", f"{studio}/"),
        ("trainer", "studio.details", f"{studio}/details"),
        ("trainer", "studio.edit_module", f"{studio}/modules/basics/edit"),
        ("trainer", "studio.lesson", f"{studio}/lessons/first-lesson"),
        ("trainer", "studio.preview_course", f"{studio}/preview"),
        ("trainer", "studio.preview_lesson", f"{studio}/preview/first-lesson"),
        ("trainer", "studio.export_page", f"{studio}/export"),
        ("trainer", "studio.questions", f"{studio}/questions"),
        ("trainer", "studio.new_question", f"{studio}/questions/new"),
        ("trainer", "studio.new_question", f"{studio}/questions/new?type=multiple_response"),
        ("trainer", "studio.new_question", f"{studio}/questions/new?type=image_region"),
        ("trainer", "studio.edit_question", f"{studio}/questions/q-one"),
        ("trainer", "studio.preview_question", f"{studio}/questions/q-one/preview"),
        ("trainer", "studio.quizzes", f"{studio}/quizzes"),
        ("trainer", "studio.quiz", f"{studio}/quizzes/basics"),
        ("trainer", "studio.quiz", f"{studio}/quizzes/exam"),
    ]


def report_pages() -> list[tuple[str, str, str]]:
    """Every statistics page, for an admin (and the trainer's scoped view of one)."""
    from samaschool.reports.tables import REPORTS

    visits = [("admin", "reports.index", "/reports/"), ("trainer", "reports.report", "/reports/funnel")]
    visits += [("admin", "reports.report", f"/reports/{name}?country=KE") for name in REPORTS]
    return visits


def blocking_violations(page) -> list[str]:
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING or violation["id"] in ALSO_BLOCKING:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def test_every_page_has_no_serious_axe_finding_at_320_and_1280_px(app, live_server, browser, make):
    people = {
        "learner": make.user(name="Akinyi Odhiambo"),
        "trainer": make.user(Role.TRAINER, name="Baraka Trainer"),
        "manager": make.user(name="Neema Manager"),
        "admin": make.user(Role.ADMIN, name="Amina Admin"),
    }
    site = build_site(app, make, people["learner"], people["manager"], people["admin"])
    with app.app_context():  # the trainer sees the statistics of the courses they co-train
        course = db.session.scalar(select(Course).where(Course.slug == site.course))
    make.staff(course, people["trainer"])
    studio = studio_course(app, make, people["trainer"]).slug
    visits = pages(site) + studio_pages(studio) + report_pages()

    get_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.endpoint.startswith("api.")
    }
    visited = {endpoint for _who, endpoint, _path in visits}
    problems = [
        f"{endpoint}: a page this test does not visit yet" for endpoint in get_endpoints - visited - set(NOT_PAGES)
    ]

    tabs = {}
    for who in ("visitor", *people):
        context = browser.new_context(viewport={"width": WIDTHS[-1], "height": 900})
        tabs[who] = context.new_page()
        if who != "visitor":
            log_in(tabs[who], live_server, people[who].email, PASSWORD)

    def audit(tab, label: str) -> None:
        for width in WIDTHS:
            tab.set_viewport_size({"width": width, "height": 900})
            problems.extend(f"{label} at {width} px: {finding}" for finding in blocking_violations(tab))

    for who, endpoint, path in visits:
        tab = tabs[who]
        response = tab.goto(f"{live_server}{path}")
        if response.status != (404 if endpoint == "(not found)" else 200):
            problems.append(f"{who} {path}: status {response.status}")
        audit(tab, f"{who} {path}")

    # Forms shown again with their errors.
    tab = tabs["visitor"]
    tab.goto(f"{live_server}/account/signup")
    follow(tab.get_by_role("button", name="Sign up"))
    audit(tab, "sign-up with errors")
    tab = tabs["learner"]
    tab.goto(f"{live_server}/attempts/{site.open_attempt}?page=1")
    tab.get_by_label("Your answer (a number)").fill("forty-five")
    follow(tab.get_by_role("button", name="Save answers"))
    assert "could not be read" in tab.content()
    audit(tab, "quiz page with an error")

    for tab in tabs.values():
        tab.context.close()
    assert not problems, "\n".join(problems)
