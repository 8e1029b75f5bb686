from samaschool.auth.models import User
from samaschool.extensions import db


def test_learner_edits_profile_and_bad_input_keeps_values(app, client, auth, make):
    user = make.user(name="Old Name")
    auth.login(user.email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert 'value="Old Name"' in page and "Africa/Nairobi" in page
    bad = client.submit(
        "/account/profile",
        {"name": "New Name", "country": "UG", "preferred_language": "sw", "timezone": "Mars/Olympus", "birth_year": ""},
    )
    assert bad.status_code == 422 and 'value="New Name"' in bad.get_data(as_text=True)
    good = client.submit(
        "/account/profile",
        {
            "name": "New Name",
            "certificate_name": "Nakato Grace Achan",
            "country": "UG",
            "preferred_language": "sw",
            "timezone": "Africa/Kampala",
            "birth_year": "",
        },
    )
    assert good.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.name, saved.country, saved.timezone) == ("New Name", "UG", "Africa/Kampala")
        assert saved.certificate_name == "Nakato Grace Achan"  # printed on certificates instead of the name


def test_profile_needs_login(client):
    response = client.get("/account/profile")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
