"""Every page we serve: every form control has a label, no id is used twice, and every wide table's
scrolling box is a labelled region reachable by keyboard (axe: scrollable-region-focusable)."""

from html.parser import HTMLParser

from samaschool.permissions import Role
from tests.factories import PASSWORD


class FormAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.duplicate_ids = set(), set()
        self.label_for, self.controls, self.label_depth, self.wrapped = set(), [], 0, set()
        self.scroll_regions, self.bad_scroll_regions = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.duplicate_ids.add(attrs["id"])
            self.ids.add(attrs["id"])
        if "table-wrap" in (attrs.get("class") or "").split():
            self.scroll_regions += 1
            if (attrs.get("role"), attrs.get("tabindex")) != ("region", "0") or not attrs.get("aria-label"):
                self.bad_scroll_regions.append(attrs)
        if tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit", "button"):
            key = attrs.get("id") or f"{tag}[name={attrs.get('name')}]"
            self.controls.append(key)
            if self.label_depth:
                self.wrapped.add(key)

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth -= 1

    def unlabelled(self):
        return [c for c in self.controls if c not in self.label_for and c not in self.wrapped]


def audit(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    parser = FormAudit()
    parser.feed(response.get_data(as_text=True))
    assert not parser.duplicate_ids, (path, parser.duplicate_ids)
    assert not parser.unlabelled(), (path, parser.unlabelled())
    assert not parser.bad_scroll_regions, (path, parser.bad_scroll_regions)
    return parser


def test_public_and_learner_pages(app, client, make):
    course = make.course()
    quiz = make.quiz(course)
    for path in (
        "/",
        "/courses/",
        f"/courses/{course.slug}",
        "/account/login",
        "/account/signup",
        "/account/reset",
        "/verify",
    ):
        audit(client, path)
    user = make.user()
    client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    start = client.submit(
        f"/courses/{course.slug}/quizzes/{quiz.key}/start", page=f"/courses/{course.slug}/quizzes/{quiz.key}"
    )
    for path in (
        "/dashboard",
        "/account/profile",
        "/account/password",
        "/account/sessions",
        f"/courses/{course.slug}/lessons/lesson-1-1",
        f"/courses/{course.slug}/quizzes/{quiz.key}",
        start.headers["Location"],
        "/certificates",
        "/pools",
        "/earnings",
    ):
        audit(client, path)


def test_admin_and_manager_pages(app, make):
    admin = make.user(Role.ADMIN)
    course = make.course()
    make.quiz(course)
    pool = make.pool()
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    for path in (
        "/admin/users",
        f"/admin/users/{admin.id}",
        "/admin/audit",
        "/admin/certificates",
        "/admin/certifications",
        "/admin/certifications/new",
        "/manage/pools",
        "/manage/pools/new",
        f"/manage/pools/{pool.id}/edit",
        f"/manage/pools/{pool.id}/tasks",
        "/manage/review",
        "/manage/payouts",
        "/manage/api-tokens",
        "/account/reset-links/new",
        f"/courses/{course.slug}/quizzes/module-1/statistics",
    ):
        audit(client, path)


def test_wide_tables_scroll_in_labelled_focusable_regions(app, make):
    """The pages with wide tables (statistics, audit log, a user's history, earnings…) hold each in
    a region a keyboard can reach and scroll, named for screen readers."""
    admin = make.user(Role.ADMIN)
    course = make.course()
    quiz = make.quiz(course)
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    client.submit(f"/courses/{course.slug}/quizzes/{quiz.key}/start", page=f"/courses/{course.slug}/quizzes/{quiz.key}")
    for path, regions in (
        (f"/courses/{course.slug}/quizzes/{quiz.key}/statistics", 2),
        (f"/courses/{course.slug}/quizzes/{quiz.key}", 1),
        ("/admin/audit", 1),
        (f"/admin/users/{admin.id}", 1),
        ("/admin/users", 1),
        ("/admin/payout-account-changes", 1),
        ("/earnings", 2),
    ):
        assert audit(client, path).scroll_regions == regions, path
