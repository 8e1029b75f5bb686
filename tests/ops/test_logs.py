"""Log lines as JSON or text, every one written during a request carrying its id; the id comes
from nginx's X-Request-ID when it looks like one, goes back in the response and on error pages."""

from __future__ import annotations

import json
import logging
import re

import pytest

from samaschool import config, create_app, logs
from samaschool.extensions import db

NGINX_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def make_app(database_url, tmp_path):
    made = []

    def make(log_format: str):
        settings = config.for_tests(str(tmp_path / "instance"), database_url)
        settings["SAMASCHOOL_LOG_FORMAT"] = log_format
        app = create_app(settings)

        @app.get("/_test/log")
        def write_a_line():
            logging.getLogger("samaschool.test").warning("a line about %s", "this request")
            return "ok"

        @app.teardown_request
        def after_the_response(_error):
            logging.getLogger("samaschool.test").warning("after the response")

        made.append(app)
        return app

    yield make
    logs.configure("text")  # the process's handler, as the suite's own app set it
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_json_lines_carry_the_request_id_from_nginx(make_app, capsys):
    client = make_app("json").test_client()
    capsys.readouterr()
    response = client.get("/_test/log", headers={"X-Request-ID": NGINX_ID})
    assert response.headers["X-Request-ID"] == NGINX_ID
    lines = _json_lines(capsys.readouterr().err)
    during, after = (line for line in lines if line["logger"] == "samaschool.test")
    assert during["message"] == "a line about this request"
    assert during["level"] == "WARNING"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", during["time"])
    assert (during["request_id"], during["method"], during["path"]) == (NGINX_ID, "GET", "/_test/log")
    assert "status" not in during  # not known yet
    assert after["request_id"] == NGINX_ID and after["status"] == 200


def test_an_id_that_does_not_look_like_one_is_replaced(make_app, capsys):
    client = make_app("json").test_client()
    made_here = client.get("/_test/log").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_here)
    assert client.get("/_test/log").headers["X-Request-ID"] != made_here  # one per request
    for forged in ("short", "x" * 129, 'abcdefgh"}{"level": "fake"', "abcdefgh abcdefgh", "../../etc/passwd"):
        capsys.readouterr()
        response = client.get("/_test/log", headers={"X-Request-ID": forged})
        replaced = response.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced)
        assert {line["request_id"] for line in _json_lines(capsys.readouterr().err)} == {replaced}


def test_text_lines_carry_the_request_id(make_app, capsys):
    client = make_app("text").test_client()
    capsys.readouterr()
    client.get("/_test/log", headers={"X-Request-ID": NGINX_ID})
    line = next(line for line in capsys.readouterr().err.splitlines() if "a line about" in line)
    assert f"WARNING samaschool.test [{NGINX_ID}] a line about this request" in line
    assert not line.startswith("{")
    logging.getLogger("samaschool.test").warning("outside any request")
    assert "samaschool.test [-] outside any request" in capsys.readouterr().err


def test_error_pages_show_the_reference_a_learner_can_quote(client):
    response = client.get("/no/such/page", headers={"X-Request-ID": NGINX_ID})
    assert response.status_code == 404
    assert f'<p class="meta">Reference: {NGINX_ID}</p>' in response.get_data(as_text=True)
    response = client.get("/no/such/page")
    assert f"Reference: {response.headers['X-Request-ID']}</p>" in response.get_data(as_text=True)


def test_an_unknown_format_is_refused(database_url, tmp_path):
    settings = config.for_tests(str(tmp_path / "instance"), database_url)
    settings["SAMASCHOOL_LOG_FORMAT"] = "xml"
    with pytest.raises(ValueError, match="SAMASCHOOL_LOG_FORMAT"):
        create_app(settings)
