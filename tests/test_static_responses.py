"""No cookie on a response that shared caches may keep: the stylesheet (cached a year, public) once
carried the signed-in learner's session cookie, for any proxy or cybercafé cache to hand on."""

from tests.factories import PASSWORD


def _stylesheet_url(client) -> str:
    page = client.get("/courses/").get_data(as_text=True)
    return "/static/css/app.css?v=" + page.split('href="/static/css/app.css?v=')[1].split('"')[0]


def test_the_stylesheet_never_sets_a_cookie(app, make):
    fresh, signed_in = app.test_client(), app.test_client()
    response = signed_in.submit("/account/login", {"email": make.user().email, "password": PASSWORD})
    assert response.status_code == 302 and signed_in.get_cookie("session") is not None
    assert "Set-Cookie" in signed_in.get("/dashboard").headers  # pages do refresh the session
    for client in (fresh, signed_in):
        with client.get(_stylesheet_url(client)) as css:
            assert css.status_code == 200 and "public" in css.headers["Cache-Control"]
            assert "Set-Cookie" not in css.headers
        with client.get("/static/no-such-file.css") as missing:
            assert missing.status_code == 404 and "Set-Cookie" not in missing.headers


def test_no_public_response_sets_a_cookie(app, make):
    course = make.course()
    certification = make.certification(course)
    client = app.test_client()
    client.submit("/account/login", {"email": make.user().email, "password": PASSWORD})
    for path in (f"/certifications/{certification.slug}/badge.svg", "/.well-known/jwks.json"):
        response = client.get(path)
        assert response.status_code == 200 and "public" in response.headers["Cache-Control"], path
        assert "Set-Cookie" not in response.headers, path
