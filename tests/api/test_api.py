"""API v1: tokens, stable JSON errors, and every response checked against /api/v1/openapi.json."""

import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools.models import ApiToken
from tests.factories import PASSWORD


def new_token(admin_client, name="Partner platform", pools=(), fields=()) -> str:
    """A token made on the admin screen, reading `pools` and the workers' `fields`; its secret."""
    form = {"name": name, "pools": [pool.id for pool in pools], "fields": list(fields)}
    page = admin_client.submit("/manage/api-tokens", form).get_data(as_text=True)
    return re.search(r'<code class="secret">(sst_[^<]+)</code>', page).group(1)


@pytest.fixture
def api(app, make):
    admin = make.user(Role.ADMIN)
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    secret = new_token(client)
    spec = app.test_client().get("/api/v1/openapi.json").json
    registry = Registry().with_resource("urn:spec", Resource(contents=spec, specification=DRAFT202012))

    def call(path, token=secret):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return app.test_client().get(f"/api/v1{path}", headers=headers)

    def check(response, template, status):
        operation = spec["paths"][template]["get"]
        schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        validator = Draft202012Validator({"$ref": "urn:spec" + schema["$ref"]}, registry=registry)
        assert response.status_code == status, response.json
        validator.validate(response.json)
        return response.json

    return call, check, secret, client


def test_tokens_are_required_stored_hashed_and_revocable(app, api):
    call, check, secret, admin_client = api
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash != secret and secret not in token.token_hash and token.prefix == secret[:10]
    assert (
        check(call("/users/1/certificates", token=None), "/users/{user_id}/certificates", 401)["error"]["code"]
        == "unauthorized"
    )
    assert call("/users/1/certificates", token="sst_wrong").status_code == 401
    admin_client.submit(f"/manage/api-tokens/{token.id}/revoke", page="/manage/api-tokens")
    assert call("/users/1/certificates").json["error"]["code"] == "unauthorized"


def test_certificates_and_eligibility_match_the_document(app, api, make):
    call, check, _secret, client = api
    course = make.course(modules=2, lessons_per_module=1)
    certification = make.certification(course)
    pool = make.pool(certification=certification)
    worker, newcomer = make.user(), make.user()
    make.certificate(worker, certification)
    secret = new_token(client, pools=[pool], fields=["name", "country"])
    body = check(call(f"/users/{worker.public_id}/certificates", secret), "/users/{user_id}/certificates", 200)
    assert body["certificates"][0]["status"] == "valid" and body["user"] == worker.public_id
    yes = check(
        call(f"/pools/{pool.slug}/eligibility/{worker.public_id}", secret), "/pools/{slug}/eligibility/{user_id}", 200
    )
    assert yes["eligible"] is True and yes["reasons"] == []
    no = check(
        call(f"/pools/{pool.slug}/eligibility/{newcomer.public_id}", secret), "/pools/{slug}/eligibility/{user_id}", 200
    )
    assert no["eligible"] is False and no["reasons"][0]["code"] == "certification_missing"
    page = check(
        call(f"/pools/{pool.slug}/eligible-workers?per_page=10", secret), "/pools/{slug}/eligible-workers", 200
    )
    assert page["workers"] == [
        {"user": worker.public_id, "user_id": worker.id, "name": worker.name, "country": worker.country}
    ]
    assert page["total"] == 1
    check(call("/pools/nope/eligible-workers", secret), "/pools/{slug}/eligible-workers", 404)
    check(call("/users/999999/certificates", secret), "/users/{user_id}/certificates", 404)
    check(call("/users/usr_0000000000000000/certificates", secret), "/users/{user_id}/certificates", 404)
    check(call(f"/pools/{pool.slug}/eligible-workers?page=x", secret), "/pools/{slug}/eligible-workers", 400)


def test_the_api_is_rate_limited_with_a_json_error(app, api):
    call, _check, _secret, _client = api
    statuses = [call("/users/1/certificates").status_code for _ in range(125)]
    assert statuses[-1] == 429
    assert call("/users/1/certificates").json["error"]["code"] == "rate_limited"
