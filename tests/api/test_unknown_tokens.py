"""Unknown API tokens are limited per address: each guess used to get a limit of its own (the
general limit is per token), so an address could try tokens without end."""

import re

from samaschool.permissions import Role
from tests.factories import PASSWORD


def _secret(app, make) -> str:
    admin = app.test_client()
    admin.submit("/account/login", {"email": make.user(Role.ADMIN).email, "password": PASSWORD})
    page = admin.submit("/manage/api-tokens", {"name": "Partner platform"}).get_data(as_text=True)
    return re.search(r'<code class="secret">(sst_[^<]+)</code>', page).group(1)


def _call(app, token: str | None, address: str):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.test_client().get("/api/v1/users/1/certificates", headers=headers, environ_base={"REMOTE_ADDR": address})


def test_an_address_that_keeps_trying_unknown_tokens_is_refused_with_json(app, make):
    secret = _secret(app, make)
    guesses = [_call(app, f"sst_guess{n:04d}", "203.0.113.5") for n in range(11)]
    assert [response.status_code for response in guesses] == [401] * 10 + [429]
    assert guesses[-1].is_json and guesses[-1].json["error"]["code"] == "rate_limited"
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert all("429" in operation["responses"] for path in spec["paths"].values() for operation in path.values())
    # Revoked or unknown, with or without our prefix: all count, and the address stays refused.
    assert _call(app, "not-even-ours", "203.0.113.5").status_code == 429
    assert _call(app, secret, "203.0.113.5").status_code == 429

    # Other addresses are not affected, and a missing token (no lookup) counts for nothing.
    assert _call(app, secret, "198.51.100.1").status_code == 200
    assert [_call(app, None, "198.51.100.2").status_code for _ in range(12)] == [401] * 12
    assert _call(app, "sst_guess", "198.51.100.2").status_code == 401
