from sqlalchemy import select

from samaschool.auth.models import User
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.factories import PASSWORD

SIGNUP = {
    "name": "Amina Wanjiru",
    "email": "Amina@Example.org ",
    "password": "mango bus window river",
    "country": "KE",
    "preferred_language": "sw",
    "gender": "woman",
    "birth_year": "2001",
}


def test_learner_signs_up_and_lands_logged_in(client, app):
    response = client.submit("/account/signup", SIGNUP)
    assert response.status_code == 302
    assert "/courses" in response.headers["Location"]
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "amina@example.org"
        assert user.role == Role.LEARNER
        assert user.country == "KE" and user.preferred_language == "sw"
        assert user.gender == "woman" and user.birth_year == 2001
        assert user.timezone == "Africa/Nairobi"
        assert user.password_hash.startswith("scrypt:")
        assert "mango" not in user.password_hash


def test_optional_fields_can_be_left_empty(client, app):
    data = {**SIGNUP, "gender": "", "birth_year": ""}
    assert client.submit("/account/signup", data).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.gender is None and user.birth_year is None


def test_signup_explains_why_gender_and_birth_year_are_asked(client):
    page = client.get("/account/signup").get_data(as_text=True)
    assert "only for anonymous impact statistics" in page


def test_duplicate_email_is_refused_and_values_are_kept(client, make):
    make.user(email="amina@example.org")
    response = client.submit("/account/signup", SIGNUP)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "already exists" in page
    assert 'value="Amina Wanjiru"' in page
    assert "mango bus window river" not in page  # passwords are never echoed back


def test_short_and_common_passwords_are_refused(client, app):
    short = client.submit("/account/signup", {**SIGNUP, "password": "abc12345"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.get_data(as_text=True)
    common = client.submit("/account/signup", {**SIGNUP, "password": "password123"})
    assert common.status_code == 422
    assert "too common" in common.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_every_bad_field_gets_its_own_message(client):
    response = client.submit(
        "/account/signup", {"name": "", "email": "not-an-email", "password": "", "country": "", "birth_year": "1850"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count('class="error"') >= 4
    assert 'value="not-an-email"' in page
    assert 'value="1850"' in page


def test_signup_without_csrf_token_is_rejected(client, app):
    response = client.post("/account/signup", data=SIGNUP)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_login_with_right_and_wrong_password(client, auth, make):
    user = make.user(email="joy@example.org")
    wrong = auth.login(user.email, "wrong password here")
    assert wrong.status_code == 422
    page = wrong.get_data(as_text=True)
    assert "do not match" in page
    assert 'value="joy@example.org"' in page
    assert auth.login(user.email).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_unknown_email_gets_the_same_message_as_a_wrong_password(auth, make):
    make.user(email="joy@example.org")
    unknown = auth.login("nobody@example.org", "whatever password").get_data(as_text=True)
    assert "That email and password do not match an account." in unknown


def test_login_is_rate_limited_with_a_clear_message(client, auth, make):
    user = make.user()
    for _ in range(5):
        assert auth.login(user.email, "wrong password").status_code == 422
    blocked = auth.login(user.email, PASSWORD)
    assert blocked.status_code == 429
    assert "Wait a few minutes" in blocked.get_data(as_text=True)


def test_login_starts_a_new_session(client, auth, make):
    user = make.user()
    client.get("/account/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login(user.email)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_only_redirects_to_our_own_pages(app, make):
    user = make.user()
    for target, expected in [
        ("https://evil.example/", "/dashboard"),
        ("//evil.example", "/dashboard"),
        ("/courses/", "/courses/"),
    ]:
        response = app.test_client().submit(
            f"/account/login?next={target}", {"email": user.email, "password": PASSWORD}
        )
        assert response.headers["Location"] == expected


def test_logout_kills_the_session_even_if_the_cookie_is_replayed(client, auth, make, app):
    user = make.user()
    auth.login(user.email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    stolen = cookie.value
    auth.logout()
    assert client.get("/dashboard").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/dashboard")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def _set_cookie(response, name: str) -> str:
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{name}="))


def test_session_cookie_is_httponly_and_samesite_lax(client, make):
    user = make.user()
    response = client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    cookie_header = _set_cookie(response, "session")
    assert "HttpOnly" in cookie_header
    assert "SameSite=Lax" in cookie_header
    assert "Secure" not in cookie_header  # plain HTTP here


def test_session_cookie_is_secure_over_https(app, make):
    user = make.user()
    client = app.test_client()
    token = client.csrf_token("https://localhost/account/login")
    response = client.post(
        "https://localhost/account/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/account/login"},
    )
    assert "Secure" in _set_cookie(response, "session")


def test_deactivated_account_cannot_log_in(client, auth, make, app):
    user = make.user()
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    response = auth.login(user.email)
    assert response.status_code == 422
    assert "deactivated" in response.get_data(as_text=True)


def test_logout_is_post_only(client, auth, make):
    user = make.user()
    auth.login(user.email)
    assert client.get("/account/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200
