"""Bad input never makes a server error: huge integers, negative numbers, words where numbers go
and NUL bytes, in every route and every common query parameter, as a visitor and as an admin.
Each gets a 400/404/413/422 in the route's own format (a page, or JSON for /api/ and /verify.json)."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from samaschool.certification.credentials import issue_credential
from samaschool.certification.models import Certificate
from samaschool.extensions import db, limiter
from samaschool.permissions import Role
from samaschool.pools import tasks
from samaschool.pools.models import ApiToken, Pool
from samaschool.web import DB_INT_MAX, IdConverter, parse_int
from tests.factories import PASSWORD

HUGE = [str(2**31), str(2**63), "99999999999999999999", "3510327250622281154560", "9" * 5000]
BAD_VALUES = [*HUGE, "-1", "-99999999999999999999", "0", "abc", "1e3", " 7 ", "a\x00b", "\x00", "٣", "²"]
QUERY_NAMES = [
    "page",
    "per_page",
    "q",
    "id",
    "ids",
    "user_id",
    "worker",
    "pool",
    "status",
    "role",
    "level",
    "language",
    "action",
    "code",
    "format",
    "next",
    "email",
    "certification",
    "issued_from",
    "issued_to",
]
ANSWERED = {200, 201, 204, 301, 302, 303, 304, 308, 400, 401, 403, 404, 405, 409, 410, 413, 422, 429}


@pytest.fixture
def world(app, make):
    """One of everything a route can name, sharing the slug 'demo' (course, certification, pool)."""
    admin = make.user(Role.ADMIN)
    learner = make.user()
    course = make.course("demo", modules=1, lessons_per_module=1)
    quiz = make.quiz(course)
    certification = make.certification(course, quiz=quiz, slug="demo")
    pool = make.pool(certification=certification, slug="demo")
    make.tasks(pool, 2)
    certificate = make.certificate(learner, certification)
    with app.app_context():
        issue_credential(db.session.get(Certificate, certificate.id))
        db.session.commit()
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    client.submit(f"/courses/{course.slug}/quizzes/{quiz.key}/start", page=f"/courses/{course.slug}/quizzes/{quiz.key}")
    walker = {"name": "Walker", "pools": [pool.id], "fields": ["name", "country"]}  # reads everything
    page = client.submit("/manage/api-tokens", walker).get_data(as_text=True)
    secret = re.search(r'<code class="secret">(sst_[^<]+)</code>', page).group(1)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    values = {
        "slug": "demo",
        "key": quiz.key,
        "lesson_slug": "lesson-1-1",
        "code": certificate.code,
        "token": "not-a-token",
        "filename": "css/app.css",
        "user_id": learner.id,
        "pool_id": pool.id,
        "certification_id": certification.id,
        "certificate_id": certificate.id,
        "token_id": token_id,
    }
    return {"admin": client, "secret": secret, "values": values}


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _url(rule, values: dict, override: dict | None = None) -> str:
    parts = {name: str((override or {}).get(name, values.get(name, 1))) for name in rule.arguments}
    url = rule.rule
    for name, value in parts.items():
        url = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", value, url)
    return url


def _call(client, method: str, url: str, secret: str, **kwargs):
    headers = {"Authorization": f"Bearer {secret}"} if url.startswith("/api/") else {}
    return client.open(url, method=method, headers=headers, **kwargs)


def _clients(app, world):
    return {"visitor": app.test_client(), "admin": world["admin"]}


@pytest.fixture
def no_rate_limits():
    limiter.enabled = False
    yield
    limiter.enabled = True


def _assert_answered(response, method: str, url: str, who: str) -> None:
    assert response.status_code in ANSWERED, f"{who} {method} {url!r} -> {response.status_code}"
    if response.status_code >= 400 and (url.startswith("/api/") or url.startswith("/verify.json")):
        assert response.is_json, f"{who} {method} {url!r} answered {response.content_type}"


def test_every_integer_in_a_route_refuses_huge_numbers(app, world, no_rate_limits):
    checked = 0
    for rule in _rules(app):
        int_names = [name for name, converter in rule._converters.items() if isinstance(converter, IdConverter)]
        if not int_names:
            continue
        for who, client in _clients(app, world).items():
            for value in HUGE:
                url = _url(rule, world["values"], dict.fromkeys(int_names, value))
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    response = _call(client, method, url, world["secret"])
                    _assert_answered(response, method, url, who)
                    assert response.status_code in (302, 400, 401, 404, 405), f"{who} {method} {url} {response.status}"
                    checked += 1
    assert checked > 100  # the walk really found the routes


def test_every_get_route_survives_bad_query_parameters(app, world, no_rate_limits):
    checked = 0
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        url = _url(rule, world["values"])
        for who, client in _clients(app, world).items():
            for value in BAD_VALUES:
                every = "&".join(f"{name}={_quote(value)}" for name in QUERY_NAMES)
                response = _call(client, "GET", f"{url}?{every}", world["secret"])
                _assert_answered(response, "GET", f"{url}?{every[:80]}", who)
                for name in ("page", "per_page", "q"):
                    response = _call(client, "GET", f"{url}?{name}={_quote(value)}", world["secret"])
                    _assert_answered(response, "GET", f"{url}?{name}={value[:30]!r}", who)
                    checked += 1
    assert checked > 500


def test_every_form_survives_bad_values_and_nul_bytes(app, world, no_rate_limits):
    """POST every route (with a valid CSRF token) whose fields are all huge, negative, words or NUL."""
    admin = world["admin"]
    token = admin.csrf_token("/courses/")
    names = QUERY_NAMES + ["ids", "reason", "name", "reward", "amount", "threshold", "currency", "state", "note"]
    for rule in _rules(app):
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":  # stay logged in for the walk
            continue
        url = _url(rule, world["values"])
        for value in BAD_VALUES:
            data = dict.fromkeys(names, value) | {"csrf_token": token}
            response = _call(admin, "POST", url, world["secret"], data=data)
            _assert_answered(response, "POST", url, f"admin ({value[:20]!r})")


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


# --- one test per reported crash -------------------------------------------------------------


def test_parse_int_accepts_only_plain_numbers_in_range():
    assert parse_int("42") == 42
    assert parse_int(" 42 ") == 42
    assert parse_int(str(DB_INT_MAX)) == DB_INT_MAX
    for bad in ("", "x", "4.2", "1e3", "٣", "²", "-1", "0", str(DB_INT_MAX + 1), "9" * 5000, "a\x00"):
        assert parse_int(bad) is None, bad
    assert parse_int("-5", minimum=-10) == -5
    assert parse_int("101", maximum=100) is None


@pytest.mark.parametrize("path", ["/attempts/99999999999999999999", f"/attempts/{2**31}", "/admin/users/" + "9" * 5000])
def test_huge_ids_in_a_route_are_not_found(client, make, auth, path):
    auth.login(make.user(Role.ADMIN).email)
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_huge_page_numbers_are_refused_with_a_page(client, make, auth):
    auth.login(make.user(Role.ADMIN).email)
    for path in ("/admin/users", "/admin/audit", "/admin/certificates", "/manage/review"):
        for page in ("99999999999999999999", str(2**63), "-1", "0", "x"):
            response = client.get(f"{path}?page={page}")
            assert response.status_code == 400, (path, page)
            assert "<html" in response.get_data(as_text=True)
        assert client.get(f"{path}?page=2").status_code == 200
        assert client.get(f"{path}?page={DB_INT_MAX}").status_code == 200  # far past the end: an empty page


@pytest.mark.parametrize(
    "path",
    [
        "/courses/?q=a%00b",
        "/courses/a%00b",
        "/account/login?next=%00",
        "/verify?code=a%00b",
        "/verify/a%00b",
        "/certifications/a%00b",
    ],
)
def test_nul_bytes_are_a_bad_request_for_visitors(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)


def test_nul_bytes_are_a_bad_request_for_admins(client, make, auth):
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    for path in ("/manage/review?worker=a%00b", "/admin/users?q=a%00b", "/admin/certificates?certification=%00"):
        assert client.get(path).status_code == 400, path


def test_a_login_email_with_a_nul_byte_is_a_bad_request(client, make):
    make.user(email="someone@example.org")
    response = client.submit("/account/login", {"email": "someone@example.org\x00", "password": PASSWORD})
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)


def test_nul_bytes_in_the_api_get_the_api_error(client, world):
    response = _call(client, "GET", "/api/v1/pools/a%00b/eligible-workers", world["secret"])
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_api_paging_follows_the_schema(client, world):
    spec = client.get("/api/v1/openapi.json").json
    parameters = spec["paths"]["/pools/{slug}/eligible-workers"]["get"]["parameters"]
    bounds = {p["name"]: p["schema"] for p in parameters if p.get("in") == "query"}
    assert bounds["per_page"]["minimum"] == 1 and bounds["per_page"]["maximum"] == 100
    for query in ("per_page=0", "per_page=101", "per_page=-3", "page=0", "page=99999999999999999999", "page=x"):
        response = _call(client, "GET", f"/api/v1/pools/demo/eligible-workers?{query}", world["secret"])
        assert response.status_code == 400, query
        assert response.json["error"]["code"] == "bad_request"
        assert re.search(r"page|per_page", response.json["error"]["message"])
    ok = _call(client, "GET", f"/api/v1/pools/demo/eligible-workers?page={DB_INT_MAX}&per_page=100", world["secret"])
    assert ok.status_code == 200 and ok.json["workers"] == []


def test_huge_api_ids_are_a_json_not_found(client, world):
    for path in ("/users/3510327250622281154560/certificates", "/pools/demo/eligibility/99999999999999999999"):
        response = _call(client, "GET", f"/api/v1{path}", world["secret"])
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_method_not_allowed_names_the_allowed_methods(client, world):
    page = client.put("/courses/")
    assert page.status_code == 405
    assert set(page.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
    assert "<html" in page.get_data(as_text=True)
    api = _call(client, "DELETE", "/api/v1/pools/demo/eligible-workers", world["secret"])
    assert api.status_code == 405 and "GET" in api.headers["Allow"]
    assert api.json["error"]["code"] == "method_not_allowed"
    verify = client.get("/verify.json")
    assert verify.status_code == 405 and "POST" in verify.headers["Allow"]
    assert verify.is_json and verify.json["error"] == "method_not_allowed"


def test_bodies_larger_than_the_limit_get_our_own_page(app, client):
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    form = "application/x-www-form-urlencoded"
    page = client.post("/account/login", data=too_big, content_type=form)
    assert page.status_code == 413
    body = page.get_data(as_text=True)
    assert '<html lang="en">' in body and "That is too large" in body and "2 MB" in body
    upload = "multipart/form-data; boundary=x"
    verify = client.post("/verify.json", data=too_big, content_type=upload)
    assert verify.status_code == 413 and verify.json["valid"] is False and verify.json["error"] == "too_large"
    api = client.post("/api/v1/openapi.json", data=too_big, content_type=form)
    assert api.status_code == 413 and api.json["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    "body",
    [json.dumps("a credential as a bare string"), "[" * 100_000 + "]" * 100_000, "[1, 2]", "42", "null", "{"],
)
def test_verify_json_refuses_bodies_that_are_not_an_object(client, body):
    response = client.post("/verify.json", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.is_json and response.json["valid"] is False


def test_a_deeply_nested_task_line_is_a_row_error(app, make):
    pool = make.pool()
    lines = '{"external_id": "t1", "title": "Phone"}\n' + "[" * 100_000 + "]" * 100_000 + "\n"
    lines += '{"external_id": "t2", "title": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    with app.app_context():
        report = tasks.import_tasks(db.session.get(Pool, pool.id), lines, "tasks.jsonl")
        db.session.rollback()
    assert report.created == 0
    assert [e.split(":")[1] for e in report.errors] == ["2", "3"]
    assert all("nested" in e for e in report.errors), report.errors


def test_a_deeply_nested_task_file_is_reported_on_the_page(app, client, auth, make):
    auth.login(make.user(Role.ADMIN).email)
    pool = make.pool()
    upload = ("[" * 100_000 + "]" * 100_000 + "\n").encode()
    response = client.submit(
        f"/manage/pools/{pool.id}/tasks",
        {"file": (io.BytesIO(upload), "tasks.jsonl")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "tasks.jsonl:1" in response.get_data(as_text=True)
