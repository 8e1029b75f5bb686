"""Login limits that stop guessing without letting a stranger lock the owner out (device cookies).

The attack from the security review: 104 wrong passwords for one account from 26 addresses, each
address under its own limit. Before, the owner then got 429 with the right password for up to an
hour, from anywhere. Now the attack pauses the account only for browsers that have never logged
in to it; the owner's phone gets in, and on a new device a password reset lets her in.
"""

from itsdangerous import URLSafeTimedSerializer

from samaschool.auth import devices, services
from samaschool.auth.models import User
from samaschool.extensions import db
from tests.factories import PASSWORD

ATTACKERS = [f"203.0.113.{n}" for n in range(1, 27)]
NEW_PASSWORD = "purple mountain river lantern"


def _login(client, email: str, password: str, address: str):
    return client.submit(
        "/account/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def _logout(client):
    return client.submit("/account/logout", page="/courses/")


def _attack(app, email: str) -> list[int]:
    """Four wrong passwords from each of 26 addresses: every address stays under its limits."""
    statuses = []
    for address in ATTACKERS:
        attacker = app.test_client()
        statuses += [_login(attacker, email, "wrong guess here", address).status_code for _ in range(4)]
    return statuses


def _set_cookie(response, name: str) -> str:
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{name}="))


def test_a_stranger_guessing_from_many_addresses_cannot_lock_the_owner_out(app, make):
    owner = make.user()
    phone = app.test_client()  # the owner's own phone, which has logged in before
    assert _login(phone, owner.email, PASSWORD, "198.51.100.7").status_code == 302
    _logout(phone)

    statuses = _attack(app, owner.email)
    # Guessing stays bounded: after 100 failures an hour every stranger's browser is refused.
    assert statuses.count(422) == 100 and statuses[100:] == [429] * 4

    # The owner's phone, on another network, logs in with the right password.
    response = _login(phone, owner.email, PASSWORD, "192.0.2.50")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert phone.get("/dashboard").status_code == 200


def test_on_a_new_device_the_owner_is_told_how_to_get_in_and_a_reset_lets_her_in(app, make):
    owner = make.user()
    _attack(app, owner.email)
    cafe = app.test_client()  # a computer the owner has never used
    paused = _login(cafe, owner.email, PASSWORD, "192.0.2.80")
    assert paused.status_code == 429
    page = paused.get_data(as_text=True)
    assert "opens only on phones and computers that have logged in to it before" in page
    assert 'href="/account/reset"' in page and f'value="{owner.email}"' in page

    with app.app_context():
        token = services.create_reset_token(db.session.get(User, owner.id))
        db.session.commit()
    reset = cafe.submit(f"/account/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 302
    assert _login(cafe, owner.email, NEW_PASSWORD, "192.0.2.80").status_code == 302
    # The attacker's browsers are still paused.
    assert _login(app.test_client(), owner.email, NEW_PASSWORD, ATTACKERS[0]).status_code == 429


def test_a_device_cookie_for_one_account_gives_nothing_for_another(app, make):
    victim, own_account = make.user(), make.user()
    attacker = app.test_client()
    assert _login(attacker, own_account.email, PASSWORD, ATTACKERS[0]).status_code == 302
    _logout(attacker)
    assert attacker.get_cookie("device", path="/account/") is not None

    statuses = []
    for address in ATTACKERS:
        statuses += [_login(attacker, victim.email, "wrong guess here", address).status_code for _ in range(4)]
    assert statuses.count(422) == 100 and statuses[100:] == [429] * 4
    # A cookie naming the victim's account, signed with any key but ours, is no better.
    forged = URLSafeTimedSerializer("guessed-secret", salt="samaschool.device-cookie").dumps(
        [{"u": victim.id, "n": "x", "k": "0" * 32}]
    )
    attacker.set_cookie("device", forged, path="/account/")
    assert _login(attacker, victim.email, PASSWORD, "192.0.2.99").status_code == 429
    # The victim's own phone would have got in: only the real device cookie exempts.
    phone = app.test_client()
    with app.test_request_context():
        phone.set_cookie("device", devices.remember(None, db.session.get(User, victim.id)), path="/account/")
    assert _login(phone, victim.email, PASSWORD, "192.0.2.99").status_code == 302


def test_guessing_from_a_trusted_device_is_bounded_too(app, make):
    owner = make.user()
    phone = app.test_client()
    assert _login(phone, owner.email, PASSWORD, "198.51.100.7").status_code == 302
    _logout(phone)
    # Someone holding the owner's phone (or a copy of its cookie) guesses from several addresses.
    statuses = [_login(phone, owner.email, "wrong guess here", f"192.0.2.{n}").status_code for n in range(1, 7)]
    assert statuses == [422] * 5 + [429]
    assert _login(phone, owner.email, PASSWORD, "192.0.2.7").status_code == 429


def test_a_new_password_retires_every_device_cookie_made_under_the_old_one(app, make):
    owner = make.user()
    phone, laptop = app.test_client(), app.test_client()
    for client in (phone, laptop):
        assert _login(client, owner.email, PASSWORD, "198.51.100.7").status_code == 302
    _logout(phone)
    changed = laptop.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302 and "device=" in _set_cookie(changed, "device")
    _logout(laptop)

    _attack(app, owner.email)
    # The laptop set the new password and was marked again; the phone's cookie named the old one.
    assert _login(laptop, owner.email, NEW_PASSWORD, "192.0.2.50").status_code == 302
    assert _login(phone, owner.email, NEW_PASSWORD, "192.0.2.51").status_code == 429


def test_the_device_cookie_is_signed_httponly_strict_long_lived_and_secure_on_https(app, make):
    user = make.user()
    client = app.test_client()
    header = _set_cookie(_login(client, user.email, PASSWORD, "198.51.100.7"), "device")
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/account/" in header
    assert "Max-Age=31536000" in header and "Secure" not in header

    https = app.test_client()
    token = https.csrf_token("https://localhost/account/login")
    response = https.post(
        "https://localhost/account/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/account/login"},
    )
    assert "Secure" in _set_cookie(response, "device")


def test_signing_up_marks_the_browser_too(app):
    client = app.test_client()
    data = {"name": "Amina", "email": "amina@example.org", "password": NEW_PASSWORD, "country": "KE"}
    response = client.submit("/account/signup", data | {"preferred_language": "sw"})
    assert response.status_code == 302 and "HttpOnly" in _set_cookie(response, "device")


def test_one_phone_remembers_the_accounts_a_family_shares(app, make):
    mother, daughter, stranger = make.user(), make.user(), make.user()
    with app.test_request_context():
        first = devices.remember(None, db.session.get(User, mother.id))
        both = devices.remember(first, db.session.get(User, daughter.id))
        assert devices.trusted(both, db.session.get(User, mother.id))
        assert devices.trusted(both, db.session.get(User, daughter.id))
        assert devices.trusted(both, db.session.get(User, stranger.id)) is None
        assert devices.trusted(both[:-2] + "xx", db.session.get(User, mother.id)) is None  # altered
