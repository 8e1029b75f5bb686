"""Languages and formats: nothing stays English in the Swahili interface, content in another language is
marked with `lang`, money and dates read as they do in the learner's country, and the browser's languages
are matched on the language.

Swahili expected on a page is read from the compiled catalogue (translations/sw), or comes from Babel's
locale data (language names, currency symbols, date formats).
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.support import Translations
from sqlalchemy import update

from samaschool import formatting
from samaschool.admin import services as admin_services
from samaschool.auth.models import User
from samaschool.extensions import db
from samaschool.labels import AUDIT_ACTION_NAMES
from samaschool.permissions import Role
from samaschool.pools import money, work
from samaschool.pools.models import EarningEntry, PayoutLine, Pool
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
SWAHILI = Translations.load(str(ROOT / "translations"), ["sw"])


def sw(msgid: str) -> str:
    text = SWAHILI.gettext(msgid)
    assert text != msgid, f"translations/sw has no Swahili for {msgid!r}"
    return text


def logged_in(app, user):
    client = app.test_client()
    client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    return client


def page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------------------- 1. Swahili everywhere


def test_the_catalog_names_levels_and_languages_in_the_readers_language(app, client, make):
    course = make.course(title="Excel basics", level="beginner", language="en")
    swahili = page(client, "/courses/", headers={"Accept-Language": "sw"})
    assert f'<p class="meta">{sw("Beginner")} · Kiingereza · ' in swahili  # Babel: English, in Swahili
    assert '<option value="en">Kiingereza</option>' in swahili  # the language filter, not the code "en"
    assert ">en<" not in swahili and "Beginner" not in swahili
    course_page = page(client, f"/courses/{course.slug}", headers={"Accept-Language": "sw"})
    assert f'<p class="meta">{sw("Beginner")} · Kiingereza ·' in course_page

    english = page(client, "/courses/", headers={"Accept-Language": "en"})
    assert '<p class="meta">Beginner · English · ' in english
    assert '<option value="en">English</option>' in english


def test_the_language_menu_names_each_language_by_its_own_name_and_the_readers(app, make):
    learner = make.user(preferred_language="sw")
    profile = page(logged_in(app, learner), "/account/profile")
    assert '<option selected value="sw">Kiswahili</option>' in profile
    assert '<option value="en">English (Kiingereza)</option>' in profile
    assert '<option value="hi">हिन्दी (Kihindi)</option>' in profile


def _pending_submission(app, make):
    course = make.course(modules=1, lessons_per_module=1)
    certification = make.certification(course)
    pool = make.pool(certification=certification, status="open")
    worker = make.user()
    make.certificate(worker, certification)
    make.tasks(pool, 1)
    with app.app_context():
        user = db.session.get(User, worker.id)
        assignment = work.claim_next_task(user, db.session.get(Pool, pool.id))
        work.submit_answer(user, assignment, {"answer": "Electronics > Mobile phones"})
        db.session.commit()
    return worker


def test_pool_review_and_payout_states_are_named_in_swahili(app, make):
    worker = _pending_submission(app, make)
    admin = make.user(Role.ADMIN, preferred_language="sw")
    client = logged_in(app, admin)

    pools = page(client, "/manage/pools")
    assert f"{sw('Open')} · {sw('Classification (one label)')} · " in pools
    assert "open · classification" not in pools

    queue = page(client, "/manage/review")
    assert f" · {sw('Waiting')}</span>" in queue and " · pending" not in queue

    with app.app_context():
        money.add_bonus(db.session.get(User, admin.id), db.session.get(User, worker.id), 2000, "KES", "seed")
        batch = money.create_batch(db.session.get(User, admin.id), "KES", 1000)
        db.session.commit()
        batch_id, line_id = batch.id, batch.lines[0].id
    assert f"</code> · {sw('Waiting to be paid')}</p>" in page(client, f"/manage/payouts/{batch_id}")
    with app.app_context():
        money.mark_line(db.session.get(User, admin.id), db.session.get(PayoutLine, line_id), "paid")
        db.session.commit()
    paid = page(client, f"/manage/payouts/{batch_id}")
    assert f"</code> · {sw('Paid')}</p>" in paid and "</code> · paid" not in paid


def test_audit_actions_are_named_in_the_readers_language(app, make):
    admin = make.user(Role.ADMIN, preferred_language="en")
    learner = make.user()
    with app.app_context():
        admin_services.change_role(
            db.session.get(User, admin.id), db.session.get(User, learner.id), Role.TRAINER, reason="runs the lab"
        )
        db.session.commit()
    client = logged_in(app, admin)
    english = page(client, "/admin/audit")
    assert f"<td>Role changed · User #{learner.id}</td>" in english
    shown = re.sub(r"<select.*?</select>", "", english, flags=re.S)  # the search's options carry the codes
    assert "user.role_changed" not in shown and "users#" not in shown

    with app.app_context():
        db.session.execute(update(User).where(User.id == admin.id).values(preferred_language="sw"))
        db.session.commit()
    assert f"<td>{sw('Role changed')} · {sw('User')} #{learner.id}</td>" in page(client, "/admin/audit")


def _recorded_audit_actions() -> list[str | re.Pattern]:
    """Every action our code passes to audit.record: literal names, and f-strings as patterns."""
    actions: list[str | re.Pattern] = []
    for path in (ROOT / "samaschool").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != "record" or getattr(node.func.value, "id", None) != "audit" or len(node.args) < 2:
                continue
            for part in ast.walk(node.args[1]):
                if isinstance(part, ast.JoinedStr):
                    pieces = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+" for v in part.values]
                    actions.append(re.compile("".join(pieces)))
                elif isinstance(part, ast.Constant) and isinstance(part.value, str) and part not in _f_parts(node):
                    actions.append(part.value)
    return actions


def _f_parts(call: ast.Call) -> set[ast.AST]:
    return {value for part in ast.walk(call.args[1]) if isinstance(part, ast.JoinedStr) for value in part.values}


def test_every_audit_action_has_a_name():
    actions = _recorded_audit_actions()
    assert "user.role_changed" in actions and len(actions) > 15  # the scan finds what the code records
    for action in actions:
        if isinstance(action, re.Pattern):
            assert any(action.fullmatch(name) for name in AUDIT_ACTION_NAMES), action.pattern
        else:
            assert action in AUDIT_ACTION_NAMES, f"name the audit action {action!r} in samaschool/labels.py"


def test_the_welcome_after_signing_up_in_swahili_is_in_swahili(client):
    form = {
        "name": "Amina Wanjiru",
        "email": "amina@example.org",
        "password": "mango bus window river",
        "country": "KE",
        "preferred_language": "sw",
    }
    # The sign-up form itself was read in English (the browser's language).
    response = client.submit("/account/signup", form, headers={"Accept-Language": "en"}, follow_redirects=True)
    landed = response.get_data(as_text=True)
    assert sw("Welcome, %(name)s! Pick a course to start.") % {"name": "Amina Wanjiru"} in landed
    assert "Welcome" not in landed and '<html lang="sw">' in landed


def test_saving_a_new_language_answers_in_it(app, make):
    learner = make.user(preferred_language="en")
    client = logged_in(app, learner)
    form = {"name": learner.name, "country": "KE", "preferred_language": "sw", "timezone": "Africa/Nairobi"}
    saved = client.submit("/account/profile", form, follow_redirects=True).get_data(as_text=True)
    assert sw("Your profile is saved.") in saved and "Your profile is saved." not in saved


def test_the_public_certification_page_names_its_courses_by_title(client, make):
    course = make.course("data-annotation-essentials", title="Data Annotation Essentials")
    exam = make.quiz(course, module=None, key="exam")
    certification = make.certification(course, quiz=exam)
    shown = page(client, f"/certifications/{certification.slug}")
    link = '<a href="/courses/data-annotation-essentials">Data Annotation Essentials</a>'
    assert shown.count(link) == 2  # complete the course; pass its exam
    assert ">data-annotation-essentials<" not in shown


# ----------------------------------------------------------------------------- 2. content in its language


def test_english_content_in_the_swahili_interface_is_marked_english(app, make):
    course = make.course(title="Spreadsheet basics", language="en", modules=1, lessons_per_module=2)
    learner = make.user(preferred_language="sw")
    client = logged_in(app, learner)
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")

    lesson = page(client, f"/courses/{course.slug}/lessons/lesson-1-1")
    assert '<html lang="sw">' in lesson
    assert '<h1 lang="en">Lesson 1.1</h1>' in lesson
    assert '<div class="lesson-body" lang="en">' in lesson
    assert '<span lang="en">Lesson 1.2</span>' in lesson  # "Next: …" is Swahili around an English title

    outline = page(client, f"/courses/{course.slug}")
    assert '<h1 lang="en">Spreadsheet basics</h1>' in outline
    assert '<span lang="en">Module 1</span>' in outline
    assert '<h2 lang="en"><a href="/courses/' in page(client, "/dashboard")
    assert re.search(r'<h[23] lang="en"><a href="/courses/', page(client, "/courses/"))


def test_content_in_the_interface_language_needs_no_mark_and_swahili_content_is_marked(app, make):
    english = make.course(title="Spreadsheet basics", language="en")
    swahili = make.course(title="Misingi ya lahajedwali", language="sw")
    learner = make.user(preferred_language="en")
    client = logged_in(app, learner)
    assert "<h1>Spreadsheet basics</h1>" in page(client, f"/courses/{english.slug}")
    assert '<h1 lang="sw">Misingi ya lahajedwali</h1>' in page(client, f"/courses/{swahili.slug}")


def test_quiz_questions_in_another_language_are_marked(app, make):
    course = make.course(language="en", modules=1, lessons_per_module=1)
    quiz = make.quiz(course)
    learner = make.user(preferred_language="sw")
    client = logged_in(app, learner)
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    quiz_url = f"/courses/{course.slug}/quizzes/{quiz.key}"
    started = client.submit(f"{quiz_url}/start", page=quiz_url, follow_redirects=True).get_data(as_text=True)
    assert '<div class="qtext" lang="en">' in started
    assert re.search(r'<span lang="en"><p>Right 1</p></span>', started)


# ----------------------------------------------------------------------------------- 3. money and dates


@pytest.mark.parametrize(
    ("language", "country", "currency", "reward_minor", "shown"),
    [
        ("sw", "KE", "KES", 500, "Ksh\xa05.00"),  # sw_KE
        ("en", "KE", "KES", 500, "Ksh5.00"),  # en_KE
        ("en", "UG", "UGX", 5000, "USh5,000"),  # en_UG
        ("en", "IN", "INR", 10_000_000, "₹1,00,000.00"),  # en_IN groups lakhs
        ("en", "US", "KES", 500, "KES5.00"),  # en_US
    ],
)
def test_money_is_written_as_in_the_learners_language_and_country(
    app, make, language, country, currency, reward_minor, shown
):
    make.pool(currency=currency, reward_minor=reward_minor)
    learner = make.user(preferred_language=language, country=country)
    assert f"{shown} " in page(logged_in(app, learner), "/pools")


def _ledger_entry_on(app, make, country: str, when: datetime) -> User:
    worker = make.user(country=country)
    admin = make.user(Role.ADMIN)
    with app.app_context():
        money.add_bonus(db.session.get(User, admin.id), db.session.get(User, worker.id), 500, "KES", "welcome")
        db.session.execute(update(EarningEntry).values(created_at=when))
        db.session.commit()
    return worker


@pytest.mark.parametrize(
    ("country", "shown"),
    [("KE", "03/12/2026, 12:00"), ("UG", "03/12/2026, 12:00"), ("IN", "03/12/2026, 2:30"), ("US", "12/3/2026, 4:00")],
)
def test_dates_follow_the_learners_country(app, make, country, shown):
    # 3 December 2026, 09:00 UTC: noon in Nairobi and Kampala, 14:30 in Kolkata, 04:00 in New York.
    worker = _ledger_entry_on(app, make, country, datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    earnings = page(logged_in(app, worker), "/earnings")
    assert shown in earnings
    assert "12/3/26" not in earnings and "03/12/26," not in earnings  # never a two-digit year


@pytest.mark.parametrize(
    ("language", "country", "short", "long"),
    [
        ("en", "KE", "03/12/2026", "3 December 2026"),
        ("en", "UG", "03/12/2026", "3 December 2026"),
        ("en", "IN", "03/12/2026", "3 December 2026"),
        ("sw", "KE", "03/12/2026", "3 Desemba 2026"),
        ("en", "US", "12/3/2026", "December 3, 2026"),
        ("en", None, "12/3/2026", "December 3, 2026"),
    ],
)
def test_date_patterns_by_country(language, country, short, long):
    locale = formatting.locale_for(language, country)
    assert formatting.format_date(date(2026, 12, 3), "short", locale) == short
    assert formatting.format_date(date(2026, 12, 3), "long", locale) == long


def test_before_login_dates_follow_the_browsers_region(app):
    with app.test_request_context("/", headers={"Accept-Language": "en-KE,en-US;q=0.9,en;q=0.8,sw;q=0.5"}):
        assert str(formatting.format_locale()) == "en_KE"
        assert formatting.format_date(date(2026, 12, 3), "short") == "03/12/2026"
    with app.test_request_context("/", headers={"Accept-Language": "sw-KE"}):
        assert str(formatting.format_locale()) == "sw_KE"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(formatting.format_locale()) == "en"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en-KE,en-US,en,sw", "en"),
        ("sw-KE", "sw"),
        ("en-KE,sw;q=0.9", "en"),  # English first, though only as en-KE
        ("sw-KE,en;q=0.5", "sw"),  # Swahili first, though only as sw-KE
        ("sw-TZ, en-GB;q=0.8", "sw"),
        ("fr-FR,de;q=0.9", "en"),  # nothing we speak: English
    ],
)
def test_the_browsers_languages_are_matched_on_the_language(client, header, language):
    assert f'<html lang="{language}">' in page(client, "/account/login", headers={"Accept-Language": header})
