from sqlalchemy.exc import OperationalError

from samaschool.extensions import db


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(client, app, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_pages_carry_strict_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_stylesheet_has_a_content_hash_url_and_long_cache(client):
    page = client.get("/").get_data(as_text=True)
    assert "/static/css/app.css?v=" in page
    href = page.split('href="/static/css/app.css?v=')[1].split('"')[0]
    with client.get(f"/static/css/app.css?v={href}") as css:
        assert css.status_code == 200
        assert "max-age=31536000" in css.headers["Cache-Control"]


def test_pages_are_compressed_when_the_client_accepts_it(client, make):
    make.course(title="Compressible course")
    response = client.get("/courses/", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"


def test_no_third_party_requests_or_web_fonts(client):
    page = client.get("/").get_data(as_text=True)
    assert "http://" not in page.replace("http://localhost", "")
    assert "https://" not in page
    with client.get("/static/css/app.css") as css:
        assert "@font-face" not in css.get_data(as_text=True)


def test_friendly_404_leaks_nothing(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body
    assert "Traceback" not in body and "werkzeug" not in body.lower()
