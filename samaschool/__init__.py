"""Samaschool LMS: from a first lesson to a verified credential to paid work."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, g, has_request_context, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from samaschool import config as config_module
from samaschool import logs, outage
from samaschool.choices import INTERFACE_LANGUAGES
from samaschool.db_types import render_migration_type
from samaschool.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from samaschool.formatting import browser_language


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__.split(".")[0] != "sqlite3":
        return
    # Take over transaction control from pysqlite so that a transaction that may write can
    # start with BEGIN IMMEDIATE: SQLite ignores FOR UPDATE, so writers are serialised here.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _read_only_request() -> bool:
    """A page view, outside its bookkeeping (samaschool/bookkeeping.py): it reads only."""
    return has_request_context() and request.method in READ_ONLY_METHODS and not g.get("_bookkeeping")


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """Pages (GET) read in a deferred transaction: under WAL any number of readers run side by
    side. Everything else (form posts, CLI commands, jobs) takes the write lock up front:
    claims and awards count rows and then insert, relying on the lock for the whole
    transaction, and upgrading a deferred transaction later fails with SQLITE_BUSY."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN" if _read_only_request() else "BEGIN IMMEDIATE")


WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "MERGE")


@event.listens_for(Engine, "before_cursor_execute")
def _no_writes_on_get(_connection, _cursor, statement: str, *_args) -> None:
    """Pages only read (state never changes on GET); in tests a write from a GET fails loudly."""
    if _read_only_request() and statement.lstrip()[:6].upper().startswith(WRITE_STATEMENTS):
        from flask import current_app

        message = f"{request.method} {request.path} wrote to the database: {statement.split(chr(10))[0][:80]}"
        if current_app.testing:
            raise RuntimeError(message)
        logging.getLogger(__name__).warning(message)


def _select_locale() -> str:
    if not has_request_context():
        return "en"
    language = outage.remembered_language() if outage.database_unavailable() else _user_language()
    if language in INTERFACE_LANGUAGES:
        return language
    return browser_language(list(request.accept_languages), INTERFACE_LANGUAGES) or "en"


def _user_language() -> str | None:
    """The signed-in user's language, also kept in the session so that pages rendered without the
    database speak it; if loading the user finds the database down, what the session remembers."""
    try:
        if not current_user.is_authenticated:
            return None
        language = current_user.preferred_language
    except DBAPIError as error:
        if not outage.is_unavailable(error):
            raise
        outage.mark_unavailable()
        return outage.remembered_language()
    if language in INTERFACE_LANGUAGES:
        outage.remember_language(language)
    return language


def _select_timezone() -> str:
    if not has_request_context() or outage.database_unavailable():
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
    logs.init_app(app)  # text or JSON lines on stderr, each with its request's id
    if not app.config.get("SAMASCHOOL_BASE_URL_SET", True) and not app.debug:
        logging.getLogger(__name__).warning(
            "SAMASCHOOL_BASE_URL is not set: credentials, QR codes, PDFs and emailed links use %s. "
            "Set it to the address learners and verifiers reach this site on.",
            app.config["SAMASCHOOL_BASE_URL"],
        )

    from samaschool.web import IdConverter, SessionInterface, refuse_nul_bytes

    app.session_interface = SessionInterface()
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.before_request(refuse_nul_bytes)  # first of the before_request hooks
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
    from samaschool.media.views import bp as media_bp
    from samaschool.pools.manage_views import bp as pool_admin_bp
    from samaschool.pools.views import bp as pools_bp
    from samaschool.reports import register_views as report_views
    from samaschool.studio import register_views as studio_views
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
        media_bp,
        studio_views(),
        report_views(),
    ):
        app.register_blueprint(blueprint)
    app.after_request(set_security_headers)

    from samaschool.certification.services import on_progress
    from samaschool.learning.services import record_completion
    from samaschool.signals import progress_made

    progress_made.connect(on_progress)
    progress_made.connect(record_completion)  # enrolments.completed_at, for the statistics
    app.after_request(buffer_static_file)  # after_request hooks run last-registered first


def _register_errors(app: Flask) -> None:
    from samaschool.web import BadNumber

    api_codes = {
        400: "bad_request",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        429: "rate_limited",
        503: "unavailable",
    }

    def page(status: int, title: str, message: str, headers: dict | None = None):
        code = api_codes.get(status, "error")
        if request.path.startswith("/api/"):  # machines get JSON with a stable code, never a page
            return jsonify(error={"code": code, "message": message}), status, headers or {}
        if request.path == "/verify.json":  # the verifier's own JSON shape
            return jsonify(valid=False, error=code, message=message), status, headers or {}
        try:
            body = render_template("errors/error.html", status=status, title=title, message=message)
        except DBAPIError as error:  # the page needed the database (the signed-in user) and it is down
            if outage.released() or not outage.is_unavailable(error):
                raise
            return database_unavailable(error)
        return body, status, headers or {}

    @app.errorhandler(400)
    def bad_request(error):
        if isinstance(error, BadNumber):
            return page(400, _("Bad request"), error.message)
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
    def method_not_allowed(error):
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(sorted(allowed))} if allowed else {}
        return page(405, _("Not allowed"), _("That action cannot be done this way."), headers)

    @app.errorhandler(413)
    def too_large(_error):
        # The route's own limit: upload routes take more than the app's cap (samaschool.media.upload_limit).
        megabytes = (request.max_content_length or app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
        return page(
            413,
            _("That is too large"),
            _("What you sent is larger than %(size)s MB. Choose a smaller file and try again.", size=f"{megabytes:g}"),
        )

    @app.errorhandler(429)
    def too_many(error):
        if getattr(error, "response", None) is not None:  # a limit that answers with its own page (login)
            return error.response
        return page(
            429,
            _("Too many tries"),
            _("You have tried this too many times. Wait a few minutes, then try again."),
        )

    @app.errorhandler(DBAPIError)
    def database_unavailable(error: DBAPIError):
        if not outage.is_unavailable(error):
            raise error  # a bug in a query, not an outage: the 500 page, with its traceback logged
        outage.stop_using_the_database()
        outage.log_failure(error)
        return page(
            503,
            _("Back in a moment"),
            _("We cannot reach our database just now. Please try again in a minute."),
            {"Retry-After": str(outage.RETRY_AFTER_SECONDS)},
        )

    @app.errorhandler(500)
    def server_error(_error):
        def answer():
            return page(
                500, _("Something went wrong"), _("Sorry, something broke on our side. Please try again in a minute.")
            )

        try:
            db.session.rollback()
            return answer()
        except Exception:  # the page needed the database (the user, their language), which is failing
            outage.stop_using_the_database()
            return answer()


def _register_cli(app: Flask) -> None:
    from samaschool.admin.cli import users_cli
    from samaschool.assessments.cli import questions_cli
    from samaschool.backup import backup_cli
    from samaschool.certification.cli import certs_cli
    from samaschool.content.cli import courses_cli
    from samaschool.database_cli import database_cli
    from samaschool.demo.cli import demo_cli
    from samaschool.jobs import jobs_cli
    from samaschool.mail import mail_cli
    from samaschool.pools.cli import pools_cli

    app.cli.add_command(courses_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(questions_cli)
    app.cli.add_command(certs_cli)
    app.cli.add_command(pools_cli)
    app.cli.add_command(database_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(demo_cli)


def _register_templates(app: Flask) -> None:
    from samaschool import formatting
    from samaschool.choices import country_name, in_language, lang_attribute, language_name
    from samaschool.labels import label
    from samaschool.permissions import Role
    from samaschool.web import asset_url, cached_url_for

    app.jinja_env.globals.update(
        url_for=cached_url_for,  # a page's links, built once per process
        asset_url=asset_url,
        Role=Role,
        language_name=language_name,
        country_name=country_name,
        get_locale=get_locale,
        label=label,
        lang_attribute=lang_attribute,
        in_language=in_language,
    )
    # Dates in the learner's country's order (en_KE: 03/12/2026), words in the interface language.
    app.jinja_env.filters.update(
        dateformat=formatting.format_date,
        datetimeformat=formatting.format_datetime,
        timeformat=formatting.format_time,
    )
    app.jinja_env.filters["without_page"] = lambda args: {k: v for k, v in args.items() if k != "page"}
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from samaschool import template_i18n

    template_i18n.install(app)  # after Flask-Babel's: `_()` finds the request's translations once
