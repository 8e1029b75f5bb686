"""`POST /account/reset` must not tell, by its timing, whether an email has an account. The
security review classified 60 of 60 requests by time alone: the known path made a token and sent
mail inside the request. Now both paths do the same database work in the request (the timing
itself is measured in bench/reset_timing.py, see BENCHMARKS.md); the mail sender, outside the
request, makes the link for a real account and drops the row for any other address."""

import re

from sqlalchemy import func, select

from samaschool.auth.models import PasswordResetToken, User
from samaschool.extensions import db
from samaschool.mail import OutgoingEmail
from tests.outbox import delivered, read

# Literals that differ from one request to the next (the address typed, times): not the work done.
_VALUES = re.compile(r"'[^']*'|\b\d+(\.\d+)?\b")


def _statements_of_reset_request(client, count_queries, email: str) -> list[str]:
    token = client.csrf_token("/account/reset")
    with count_queries() as statements:
        response = client.post("/account/reset", data={"email": email, "csrf_token": token})
    assert response.status_code == 302
    return [_VALUES.sub("?", statement) for statement in statements]


def test_known_and_unknown_emails_cost_a_reset_request_the_same_work(app, client, make, count_queries):
    make.user(email="known@example.org")
    inactive = make.user(email="left@example.org")
    with app.app_context():
        db.session.get(User, inactive.id).is_active = False
        db.session.commit()
    known = _statements_of_reset_request(client, count_queries, "known@example.org")
    unknown = _statements_of_reset_request(client, count_queries, "nobody@example.org")
    deactivated = _statements_of_reset_request(client, count_queries, "left@example.org")
    assert known == unknown == deactivated
    assert any(statement.lstrip().upper().startswith("INSERT INTO MAIL_OUTBOX") for statement in known)
    with app.app_context():
        # No token yet, for anyone: it is made by the sender, outside the request.
        assert db.session.scalar(select(func.count()).select_from(PasswordResetToken)) == 0
        rows = db.session.execute(select(OutgoingEmail.kind, OutgoingEmail.to_address).order_by(OutgoingEmail.id))
        assert [tuple(row) for row in rows] == [
            ("password_reset", "known@example.org"),
            ("password_reset", "nobody@example.org"),
            ("password_reset", "left@example.org"),
        ]


def test_the_sender_mails_a_link_to_a_known_address_and_drops_the_others(app, client, make):
    user = make.user(email="known@example.org", preferred_language="sw")
    before = len(delivered(app))
    for email in ("Known@Example.org ", "nobody@example.org"):
        client.submit("/account/reset", {"email": email})
    emails = delivered(app)
    assert len(emails) == before + 1  # one email: the unknown address's row is a decoy
    text = read(emails[-1])
    assert "To: known@example.org" in text
    assert "Subject: Reset your Samaschool password" not in text  # in her language, Swahili
    link = re.search(r"http://localhost(/account/reset/\S+)", text).group(1)
    assert client.get(link).status_code == 200
    with app.app_context():
        rows = {row.to_address: row for row in db.session.scalars(select(OutgoingEmail))}
        assert rows["known@example.org"].status == "sent" and rows["known@example.org"].sent_at is not None
        assert rows["nobody@example.org"].status == "dropped" and rows["nobody@example.org"].sent_at is None
        # The outbox never keeps a working link: only the token's hash is stored.
        assert "/account/reset/" not in rows["known@example.org"].body
        assert db.session.scalar(select(PasswordResetToken.user_id)) == user.id
    assert len(delivered(app)) == before + 1  # nothing is sent twice
