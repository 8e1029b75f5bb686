"""API tokens read only what an admin chose (pools, workers' names and countries), and the API
names users by random public ids, with row ids deprecated for one release."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from samaschool.audit import AuditEntry
from samaschool.auth.models import User
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools import api_tokens
from samaschool.pools.models import ApiToken
from tests.api.test_api import new_token
from tests.factories import PASSWORD


@pytest.fixture
def world(app, make):
    """Two open pools needing one certification, and two certified workers in Kenya and Uganda."""
    course = make.course(modules=1, lessons_per_module=1)
    certification = make.certification(course)
    ours, theirs = make.pool(certification=certification), make.pool(certification=certification)
    workers = [make.user(name="Amina Njeri", country="KE"), make.user(name="Grace Akello", country="UG")]
    for worker in workers:
        make.certificate(worker, certification)
    admin = make.user(Role.ADMIN)
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    return certification, ours, theirs, workers, client


def _get(app, path: str, secret: str):
    return app.test_client().get(f"/api/v1{path}", headers={"Authorization": f"Bearer {secret}"})


def test_a_token_reads_only_the_pools_it_was_given(app, world):
    _certification, ours, theirs, workers, admin = world
    secret = new_token(admin, pools=[ours])
    assert _get(app, f"/pools/{ours.slug}/eligible-workers", secret).json["total"] == 2
    for path in (f"/pools/{theirs.slug}/eligible-workers", f"/pools/{theirs.slug}/eligibility/{workers[0].public_id}"):
        response = _get(app, path, secret)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden", path


def test_names_and_countries_only_when_allowed(app, world):
    """The attack: any token listed every eligible worker's name and country."""
    _certification, ours, _theirs, workers, admin = world
    nothing = _get(app, f"/pools/{ours.slug}/eligible-workers", new_token(admin, pools=[ours])).json
    assert nothing["workers"] == [{"user": w.public_id, "user_id": w.id} for w in workers]
    text = str(nothing)
    assert "Amina" not in text and "Grace" not in text and "KE" not in text and "UG" not in text
    names = _get(app, f"/pools/{ours.slug}/eligible-workers", new_token(admin, pools=[ours], fields=["name"])).json
    assert [(w["name"], "country" in w) for w in names["workers"]] == [("Amina Njeri", False), ("Grace Akello", False)]
    both = new_token(admin, pools=[ours], fields=["name", "country"])
    every = _get(app, f"/pools/{ours.slug}/eligible-workers", both).json["workers"]
    assert [(w["name"], w["country"]) for w in every] == [("Amina Njeri", "KE"), ("Grace Akello", "UG")]


def test_tokens_from_before_scopes_read_nothing_until_an_admin_grants_it(app, world):
    """Existing tokens get the migration's defaults (no pools, no fields): the safer choice."""
    _certification, ours, _theirs, _workers, admin = world
    secret = new_token(admin)
    with app.app_context():
        token = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
        assert (token.pool_ids, token.user_fields) == ([], [])
        token_id = token.id
    assert _get(app, f"/pools/{ours.slug}/eligible-workers", secret).status_code == 403
    listing = admin.get("/manage/api-tokens").get_data(as_text=True)
    assert "No pools" in listing and "No names or countries" in listing
    assert f'href="/manage/api-tokens/{token_id}"' in listing

    form = {"pools": [ours.id], "fields": ["country"]}
    for _replay in range(2):  # a double click changes it once
        response = admin.submit(f"/manage/api-tokens/{token_id}", form)
        assert response.status_code == 302
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.scope_changed")).all()
        assert [(e.before, e.after) for e in entries] == [
            ({"pools": [], "fields": []}, {"pools": [ours.id], "fields": ["country"]})
        ]
    workers_seen = _get(app, f"/pools/{ours.slug}/eligible-workers", secret).json["workers"]
    assert [sorted(w) for w in workers_seen] == [["country", "user", "user_id"]] * 2
    page = admin.get(f"/manage/api-tokens/{token_id}").get_data(as_text=True)
    assert re.search(rf'<input checked[^>]*value="{ours.id}"|<input[^>]*value="{ours.id}"[^>]*checked', page)


def test_a_scope_naming_a_pool_that_does_not_exist_is_refused_with_the_form(app, world):
    _certification, ours, _theirs, workers, admin = world
    response = admin.submit("/manage/api-tokens", {"name": "Partner", "pools": [ours.id, 999999], "fields": ["name"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "sst_" not in page
    assert 'value="Partner"' in page and re.search(r'<input checked[^>]*value="name"', page)
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None
        # The service drops unknown pools and fields even when called directly.
        token, _secret = api_tokens.create(db.session.get(User, workers[0].id), "x", [ours.id, 999999], ["email"])
        assert (token.pool_ids, token.user_fields) == ([ours.id], [])
        db.session.rollback()


def test_users_are_named_by_random_public_ids_and_row_ids_are_deprecated(app, world, make):
    """The attack: ids counted 1, 2, 3…, so a token walked through every user's certificates."""
    _certification, ours, _theirs, workers, admin = world
    secret = new_token(admin, pools=[ours])
    codes = [w.public_id for w in workers] + [make.user().public_id for _ in range(3)]
    assert all(re.fullmatch(r"usr_[0-9a-hjkmnp-tv-z]{16}", code) for code in codes) and len(set(codes)) == 5
    by_code = _get(app, f"/users/{workers[0].public_id}/certificates", secret).json
    assert by_code["user"] == workers[0].public_id and len(by_code["certificates"]) == 1
    # Row ids still answer, for one release, and the document says they are deprecated.
    assert _get(app, f"/users/{workers[0].id}/certificates", secret).json == by_code
    eligibility = _get(app, f"/pools/{ours.slug}/eligibility/{workers[0].public_id}", secret).json
    assert eligibility["user"] == workers[0].public_id and eligibility["eligible"] is True
    for wrong in ("USR_" + workers[0].public_id[4:], workers[0].public_id + "x", "usr_", "-1"):
        assert _get(app, f"/users/{wrong}/certificates", secret).status_code == 404, wrong

    spec = app.test_client().get("/api/v1/openapi.json").json
    parameter = spec["components"]["parameters"]["UserId"]["schema"]["anyOf"]
    assert [form.get("deprecated", False) for form in parameter] == [False, True]
    schemas = spec["components"]["schemas"]
    for name in ("UserCertificates", "Eligibility"):
        assert schemas[name]["properties"]["user_id"]["deprecated"] is True
        assert "next release" in schemas[name]["properties"]["user_id"]["description"]
    worker_item = schemas["EligibleWorkers"]["properties"]["workers"]["items"]
    assert worker_item["properties"]["user_id"]["deprecated"] is True and worker_item["required"] == ["user", "user_id"]


def test_the_api_never_gives_a_revocation_reason(app, world, make):
    certification, ours, _theirs, workers, admin = world
    revoked = make.user()
    make.certificate(revoked, certification, revoked_at=workers[0].created_at, revocation_reason="exam fraud")
    secret = new_token(admin, pools=[ours], fields=["name", "country"])
    certificates = _get(app, f"/users/{revoked.public_id}/certificates", secret).json["certificates"]
    assert [(c["status"], c["revocation_reason"]) for c in certificates] == [("revoked", None)]
    eligibility = _get(app, f"/pools/{ours.slug}/eligibility/{revoked.public_id}", secret).json
    assert [r["code"] for r in eligibility["reasons"]] == ["certification_revoked"]
    assert "fraud" not in str(eligibility) and "was revoked" in eligibility["reasons"][0]["message"]
