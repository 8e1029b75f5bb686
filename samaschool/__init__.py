"""Samaschool LMS: from a first lesson to a verified credential to paid work."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, has_request_context, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from samaschool import config as config_module
from samaschool.choices import INTERFACE_LANGUAGES
from samaschool.db_types import render_migration_type
from samaschool.extensions import babel, compress, csrf, db, limiter, login_manager, migrate


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__.split(".")[0] != "sqlite3":
        return
    # Take over transaction control from pysqlite so that every transaction can start
    # with BEGIN IMMEDIATE: SQLite ignores FOR UPDATE, so writers are serialised here.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _select_locale() -> str:
    if not has_request_context():
        return "en"
    if current_user and current_user.is_authenticated and current_user.preferred_language in INTERFACE_LANGUAGES:
        return current_user.preferred_language
    return request.accept_languages.best_match(INTERFACE_LANGUAGES) or "en"


def _select_timezone() -> str:
    if not has_request_context():
        return "UTC"
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return "UTC"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.update(config if config is not None else config_module.from_env(app.instance_path))
    if app.config.get("SAMASCHOOL_PROXY_COUNT"):
        count = app.config["SAMASCHOOL_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    logging.basicConfig(level=logging.INFO)

    from samaschool.web import SessionInterface

    app.session_interface = SessionInterface()
    _init_extensions(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_cli(app)
    _register_templates(app)
    return app


def _init_extensions(app: Flask) -> None:
    from samaschool import models  # noqa: F401  (every model registered before use)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_type,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # our server-side session rows do this job

    @login_manager.user_loader
    def load_user(login_id: str):
        from samaschool.auth.services import load_session_user

        return load_session_user(login_id)


def _register_blueprints(app: Flask) -> None:
    from samaschool.admin.views import bp as admin_bp
    from samaschool.api.views import bp as api_bp
    from samaschool.assessments.views import bp as assessments_bp
    from samaschool.auth.views import bp as auth_bp
    from samaschool.catalog.views import bp as catalog_bp
    from samaschool.certification.admin_views import bp as certification_admin_bp
    from samaschool.certification.views import bp as certification_bp
    from samaschool.learning.views import bp as learning_bp
    from samaschool.main import bp as main_bp
    from samaschool.pools.manage_views import bp as pool_admin_bp
    from samaschool.pools.views import bp as pools_bp
    from samaschool.web import buffer_static_file, set_security_headers

    for blueprint in (
        main_bp,
        auth_bp,
        catalog_bp,
        learning_bp,
        assessments_bp,
        certification_bp,
        pools_bp,
        admin_bp,
        certification_admin_bp,
        pool_admin_bp,
        api_bp,
    ):
        app.register_blueprint(blueprint)
    app.after_request(set_security_headers)

    from samaschool.certification.services import on_progress
    from samaschool.signals import progress_made

    progress_made.connect(on_progress)
    app.after_request(buffer_static_file)  # after_request hooks run last-registered first


def _register_errors(app: Flask) -> None:
    api_codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}

    def page(status: int, title: str, message: str):
        if request.path.startswith("/api/"):  # machines get JSON with a stable code, never a page
            return jsonify(error={"code": api_codes.get(status, "error"), "message": message}), status
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(400)
    def bad_request(_error):
        return page(400, _("Bad request"), _("Something in that request was not right. Go back and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return page(
            400,
            _("This form has expired"),
            _("For your safety, forms expire when you log in or out. Go back, reload the page and send it again."),
        )

    @app.errorhandler(403)
    def forbidden(_error):
        return page(403, _("Not allowed"), _("Your account cannot open this page."))

    @app.errorhandler(404)
    def not_found(_error):
        return page(
            404, _("Page not found"), _("We could not find that page. Check the address, or start from the home page.")
        )

    @app.errorhandler(405)
    def method_not_allowed(_error):
        return page(405, _("Not allowed"), _("That action cannot be done this way."))

    @app.errorhandler(429)
    def too_many(_error):
        return page(
            429,
            _("Too many tries"),
            _("You have tried this too many times. Wait a few minutes, then try again."),
        )

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return page(
            500, _("Something went wrong"), _("Sorry, something broke on our side. Please try again in a minute.")
        )


def _register_cli(app: Flask) -> None:
    from samaschool.admin.cli import users_cli
    from samaschool.assessments.cli import questions_cli
    from samaschool.certification.cli import certs_cli
    from samaschool.content.cli import courses_cli
    from samaschool.database_cli import database_cli
    from samaschool.pools.cli import pools_cli

    app.cli.add_command(courses_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(questions_cli)
    app.cli.add_command(certs_cli)
    app.cli.add_command(pools_cli)
    app.cli.add_command(database_cli)


def _register_templates(app: Flask) -> None:
    from samaschool.choices import country_name, language_name
    from samaschool.permissions import Role
    from samaschool.web import asset_url

    app.jinja_env.globals.update(
        asset_url=asset_url,
        Role=Role,
        language_name=language_name,
        country_name=country_name,
        get_locale=get_locale,
    )
    app.jinja_env.filters["without_page"] = lambda args: {k: v for k, v in args.items() if k != "page"}
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
