"""The public address: derived from HOST/PORT when unset (with a warning), and a credential
issued under an earlier address still verifies after the site moves."""

from __future__ import annotations

import base64
import json
import logging

import jwt as pyjwt
import pytest

from samaschool import config, create_app
from samaschool.certification import keys
from tests.certification.test_credentials import earn


@pytest.fixture
def moved(app):
    """The site's public address changes after a credential was issued."""
    original = app.config["SAMASCHOOL_BASE_URL"]
    yield lambda url: app.config.update(SAMASCHOOL_BASE_URL=url)
    app.config["SAMASCHOOL_BASE_URL"] = original


def _verify(app, token):
    return app.test_client().post("/verify.json", json={"credential": token}).json


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_credential_issued_before_the_address_changed_still_verifies(app, setup, moved):
    _candidate, certificate = earn(setup)
    assert _claims(certificate.credential_jwt)["iss"] == "http://localhost/issuer"
    assert certificate.issuer_id == "http://localhost/issuer"
    moved("https://learn.samaschool.example")
    result = _verify(app, certificate.credential_jwt)
    assert result["valid"] is True, result
    assert {"check": "issuer", "passed": True, "detail": ""} in result["checks"]


def test_our_key_cannot_vouch_for_an_issuer_we_never_were(app, setup):
    _candidate, certificate = earn(setup)
    claims = _claims(certificate.credential_jwt)
    claims["iss"] = "https://impostor.example/issuer"
    claims["issuer"]["id"] = "https://impostor.example/issuer"
    with app.app_context():
        kid, private_key = keys.current_key()
    forged = pyjwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": kid})
    result = _verify(app, forged)
    assert result["valid"] is False
    assert next(check for check in result["checks"] if not check["passed"])["check"] == "issuer"


def test_the_address_comes_from_host_and_port_with_a_warning_when_unset(monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("SAMASCHOOL_BASE_URL", raising=False)
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104 (listening everywhere; reached locally)
    monkeypatch.setenv("PORT", "8080")
    settings = config.from_env(str(tmp_path))
    assert settings["SAMASCHOOL_BASE_URL"] == "http://127.0.0.1:8080"
    with caplog.at_level(logging.WARNING):
        create_app(settings)
    assert "SAMASCHOOL_BASE_URL is not set" in caplog.text and "http://127.0.0.1:8080" in caplog.text

    caplog.clear()
    monkeypatch.setenv("SAMASCHOOL_BASE_URL", "https://learn.samaschool.example/")
    settings = config.from_env(str(tmp_path))
    assert settings["SAMASCHOOL_BASE_URL"] == "https://learn.samaschool.example"
    with caplog.at_level(logging.WARNING):
        create_app(settings)
    assert "SAMASCHOOL_BASE_URL" not in caplog.text
